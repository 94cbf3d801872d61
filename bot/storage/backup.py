"""`svodka db backup | restore`: a consistent copy of a SQLite archive while `svodka run` keeps
running, and putting one back. PostgreSQL has its own tools; for it these say which to run.

SQLite's online backup API copies the database in one step, inside one read transaction: in
WAL mode that is a snapshot of one moment that never blocks the bot's writes. (In several
steps a write between two of them would start the copy over, and a bot that writes every
second might keep a large archive's backup from ever finishing.)
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bot.config import ConfigError
from bot.runlock import sole_run

ALL_PAGES = -1  # one step: one read transaction, no restarts


def sqlite_path(database_url: str) -> Path | None:
    """The archive's file for a SQLite URL, None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if url.database in (None, "", ":memory:"):
        raise ConfigError("SVODKA_DATABASE_URL: an in-memory SQLite database has nothing to copy")
    return Path(url.database)


def postgres_command(tool: str, database_url: str, file: str) -> str:
    """The pg_dump or pg_restore command line for a PostgreSQL URL (password left out: give it
    in PGPASSWORD or ~/.pgpass)."""
    url = make_url(database_url)
    plain = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database
    ).render_as_string(hide_password=False)
    if tool == "pg_dump":
        return f"pg_dump --format=custom --file={_quoted(file)} {_quoted(plain)}"
    return f"pg_restore --clean --if-exists --dbname={_quoted(plain)} {_quoted(file)}"


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)


def backup(database_url: str, target: Path, *, progress: Callable[[int, int], None]) -> None:
    """Copy the archive to `target` (written beside it first, then renamed, so a half-made
    copy never has the target's name). `progress(done, total)` pages after each step."""
    source = sqlite_path(database_url)
    assert source is not None
    if not source.is_file():
        raise ConfigError(f"no archive at {source}: nothing to back up")
    if target.resolve() == source.resolve():
        raise ConfigError(f"{target} is the archive itself; name another file")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _copy(source, partial, progress=progress)
    os.replace(partial, target)


def restore(
    database_url: str, backup_file: Path, *, force: bool, progress: Callable[[int, int], None]
) -> None:
    """Put `backup_file` in place of the archive. A live archive (a `svodka run` on it) is
    refused without `force`; with it, the copy goes in through SQLite's backup API, as one
    write the running process sees whole."""
    target = sqlite_path(database_url)
    assert target is not None
    _check_backup(backup_file)
    if not force:
        try:
            with sole_run(database_url):
                pass
        except ConfigError as live:
            raise ConfigError(f"{live}; stop it first, or restore with --force") from None
        if target.is_file() and target.stat().st_size > 0:
            raise ConfigError(f"{target} exists: restore with --force to replace it")
    _copy(backup_file, target, progress=progress)


def _check_backup(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"no file {path}")
    try:
        with contextlib.closing(sqlite3.connect(_read_only(path), uri=True)) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise ConfigError(f"{path} is not a svodka archive ({error})") from None
    if verdict != "ok":
        raise ConfigError(f"{path} is damaged: {verdict}")


def _read_only(path: Path) -> str:
    """A URI that opens `path` read-only, whatever characters its name holds."""
    return f"{path.resolve().as_uri()}?mode=ro"


def _copy(source: Path, target: Path, *, progress: Callable[[int, int], None]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(_read_only(source), uri=True)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        dst.execute("PRAGMA busy_timeout=10000")

        def step(status: int, remaining: int, total: int) -> None:
            progress(total - remaining, total)

        src.backup(dst, pages=ALL_PAGES, progress=step)
