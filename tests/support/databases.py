"""Fresh databases for tests, on both backends: SQLite always, PostgreSQL when reachable.

PostgreSQL runs on 127.0.0.1:5432, database `test`, trust auth (override with
SVODKA_TEST_POSTGRES_URL). Each fresh database is a dedicated PostgreSQL schema, dropped and
created again, so that test suites sharing the database do not collide. With CI=true a missing
PostgreSQL is an error, not a skip.

A pytest plugin (tests/conftest.py loads it): the `database` and `postgres_database` fixtures
are there for every test.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.storage.articles import NewArticle, SourceRef, index_lemmas
from bot.storage.database import Database
from bot.storage.migrate import upgrade

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str:
    return os.environ.get("SVODKA_TEST_POSTGRES_URL", POSTGRES_URL)


def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None when it can."""
    url = make_url(postgres_url())
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            return None
    except OSError as error:
        return f"PostgreSQL at {url.host}:{url.port} is not reachable ({error.strerror or error})"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@asynccontextmanager
async def fresh_database(backend: str, tmp_path: Path, *, schema: str) -> AsyncIterator[Database]:
    """An empty, migrated database on `backend`; closed (and its schema dropped) on exit."""
    if backend == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    else:
        await _recreate_schema(schema)
        db = Database(postgres_url(), connect_args={"server_settings": {"search_path": schema}})
    try:
        await upgrade(db)
        yield db
    finally:
        await db.close()
        if backend != "sqlite":
            await _drop_schema(schema)


async def _recreate_schema(schema: str) -> None:
    await _admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"')


async def _drop_schema(schema: str) -> None:
    await _admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def _admin(*statements: str) -> None:
    admin = Database(postgres_url())
    try:
        async with admin.transaction() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await admin.close()


@pytest.fixture(params=BACKENDS)
async def database(request, tmp_path) -> AsyncIterator[Database]:
    """An empty, migrated database: SQLite, then PostgreSQL in a schema named after the test
    folder and this process, so parallel test runs do not drop each other's tables (skipped if
    unreachable, except in CI where that fails)."""
    async with _database_for(request, request.param, tmp_path) as db:
        yield db


@pytest.fixture
async def postgres_database(request, tmp_path) -> AsyncIterator[Database]:
    """Like `database`, PostgreSQL only: for what only concurrent writers can show."""
    async with _database_for(request, "postgresql", tmp_path) as db:
        yield db


@asynccontextmanager
async def _database_for(request, backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    if backend == "postgresql" and (reason := postgres_unavailable()):
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"svodka_{request.path.parent.name}_{os.getpid()}"
    async with fresh_database(backend, tmp_path, schema=schema) as db:
        yield db


@asynccontextmanager
async def own_postgres_database(name: str, *, migrated: bool = True) -> AsyncIterator[Database]:
    """A PostgreSQL database of its own, created empty (and migrated unless told otherwise),
    dropped on exit: for processes that connect by URL, where the schema trick cannot reach.
    The caller skips when PostgreSQL is unavailable."""
    admin = Database(postgres_url(), isolation_level="AUTOCOMMIT")
    try:
        async with admin.engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        db = Database(make_url(postgres_url()).set(database=name).render_as_string(False))
        try:
            if migrated:
                await upgrade(db)
            yield db
        finally:
            await db.close()
            async with admin.engine.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.close()


def require_postgres() -> None:
    """Skip the test when PostgreSQL is unreachable (fail in CI)."""
    if reason := postgres_unavailable():
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)


def sample_article(
    title: str,
    text: str,
    *,
    key: object,
    url: str | None = None,
    topics: tuple[str, ...] = ("economy",),
    summary: tuple[str, ...] | None = None,
    published_at: datetime | None = None,
    source: SourceRef | None = None,
) -> NewArticle:
    """A ready-to-store article, without the ingest pipeline, for tests and benches that need
    rows fast. `key` makes its content hash unique; the summary defaults to every sentence."""
    return NewArticle(
        url=url,
        title=title,
        lead=text.split(".")[0] + ".",
        body=text,
        content_hash=f"sample-{key}",
        fingerprint=None,
        bands=(),
        published_at=published_at,
        title_lemmas=index_lemmas(title),
        text_lemmas=index_lemmas(text),
        summary=summary or tuple(part.strip() + "." for part in text.split(".") if part.strip()),
        topics=topics,
        source=source or SourceRef(url=url, name="Вестник"),
    )
