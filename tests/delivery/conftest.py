"""Fixtures for delivery tests: databases on both backends, and a small world of chats,
subscriptions and articles to deliver."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import update

from bot.config import Settings
from bot.storage import articles, chats
from bot.storage.articles import SourceRef
from bot.storage.database import Database
from bot.storage.schema import articles as articles_table
from tests.support.databases import fresh_database, sample_article

FAST = {
    "delivery_rate": 200.0,
    "delivery_chat_rate": 50.0,
    "delivery_group_rate": 3000.0,
    "delivery_backoff": 0.05,
    "delivery_backoff_max": 0.2,
    "delivery_timeout": 2.0,
    "worker_heartbeat": 0.1,
    "worker_timeout": 1.0,
    "delivery_poll": 0.05,
    "push_scan_interval": 0.1,
    "digest_check_interval": 0.1,
}


def fast_settings(**overrides) -> Settings:
    """Settings with limits and intervals small enough for tests to run in well under a
    second per case (the production defaults are in bot/config.py)."""
    return Settings(_env_file=None, **{**FAST, **overrides})


class World:
    """Chats, subscriptions and articles, written the way the bot and the archive write them."""

    _serial = itertools.count(1)

    def __init__(self, db: Database) -> None:
        self.db = db

    async def chat(
        self,
        chat_id: int,
        kind: str = "private",
        *,
        topics: tuple[str, ...] = ("economy",),
        keywords: tuple[str, ...] = (),
        instant: bool = False,
        digest_time: str | None = None,
        timezone: str | None = None,
    ) -> int:
        async with self.db.transaction() as conn:
            await chats.upsert_chat(conn, chat_id, kind, title=f"chat {chat_id}")
            await chats.set_instant(conn, chat_id, instant)
            await chats.set_digest_time(conn, chat_id, digest_time)
            await chats.set_timezone(conn, chat_id, timezone)
            for slug in topics:
                await chats.add_subscription(conn, chat_id, chats.TOPIC, slug, slug)
            for word in keywords:
                value = articles.index_lemmas(word)
                await chats.add_subscription(conn, chat_id, chats.KEYWORD, value, word)
        return chat_id

    async def article(
        self,
        title: str,
        text: str = "Первая фраза статьи. Вторая фраза статьи.",
        *,
        topics: tuple[str, ...] = ("economy",),
        ingested_at: datetime | None = None,
        source: str = "Вестник",
    ) -> int:
        serial = next(self._serial)
        url = f"https://example.ru/news/{serial}"
        new = sample_article(
            title, text, key=f"delivery-{serial}", url=url, topics=topics,
            source=SourceRef(url=url, name=source),
        )  # fmt: skip
        # Topic rows committed first, as the ingest pipeline does.
        async with self.db.transaction() as conn:
            await articles.ensure_topics(conn, topics)
        async with self.db.transaction() as conn:
            article_id = await articles.insert(conn, new)
            if ingested_at is not None:
                await conn.execute(
                    update(articles_table)
                    .where(articles_table.c.id == article_id)
                    .values(ingested_at=ingested_at)
                )
        return article_id


@pytest.fixture
def world(database) -> World:
    """On SQLite and on PostgreSQL."""
    return World(database)


@pytest.fixture
def postgres_world(postgres_database) -> World:
    """On PostgreSQL only: concurrent writers."""
    return World(postgres_database)


@pytest.fixture
async def sqlite_world(tmp_path) -> AsyncIterator[World]:
    """On SQLite only: for tests about Telegram rather than about the database."""
    async with fresh_database("sqlite", tmp_path, schema="") as db:
        yield World(db)


@pytest.fixture
def make_settings():
    """`make_settings(**overrides)`: fast settings for a test (see FAST)."""
    return fast_settings
