"""`svodka db backup | restore | copy` (see docs/operating.md)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from tqdm import tqdm


class _Bar:
    """A tqdm bar on stderr for the table (or file) being copied; the next one replaces it."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.name: str | None = None
        self.bar: tqdm | None = None

    def __call__(self, name: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if name != self.name or self.bar is None:
            self.close()
            self.name = name
            self.bar = tqdm(total=total, desc=name, unit=self.unit, file=sys.stderr)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def backup(settings: Settings, file: str) -> int:
    from bot.storage.backup import backup as copy_out
    from bot.storage.backup import sqlite_path

    if sqlite_path(settings.database_url) is None:
        return _use_postgres_tool("pg_dump", settings, file)
    bar = _Bar("page")
    try:
        copy_out(settings.database_url, Path(file), progress=lambda d, t: bar(file, d, t))
    finally:
        bar.close()
    print(f"backed up to {file}")
    return 0


def restore(settings: Settings, file: str, force: bool) -> int:
    from bot.storage.backup import restore as copy_in
    from bot.storage.backup import sqlite_path

    target = sqlite_path(settings.database_url)
    if target is None:
        return _use_postgres_tool("pg_restore", settings, file)
    bar = _Bar("page")
    try:
        copy_in(
            settings.database_url, Path(file), force=force, progress=lambda d, t: bar(file, d, t)
        )
    finally:
        bar.close()
    print(f"restored {target} from {file}")
    return 0


def _use_postgres_tool(tool: str, settings: Settings, file: str) -> int:
    from bot.storage.backup import postgres_command

    print(f"svodka: on PostgreSQL use {tool}, with the password in PGPASSWORD:", file=sys.stderr)
    print(postgres_command(tool, settings.database_url, file))
    return 2


def copy(settings: Settings, to: str) -> int:
    return asyncio.run(_copy(settings, to))


async def _copy(settings: Settings, to: str) -> int:
    from sqlalchemy.exc import ArgumentError

    from bot.cli.archive import open_database
    from bot.runlock import sole_run
    from bot.storage.copy import copy_database
    from bot.storage.database import Database
    from bot.storage.migrate import upgrade

    try:
        target = Database(to)
    except ArgumentError:
        raise ConfigError(f"--to: not a database URL: {to!r}") from None
    bar = _Bar("row")
    try:
        with sole_run(settings.database_url):  # the source must not change while it is copied
            async with open_database(settings) as source:
                await upgrade(target)
                report = await copy_database(source, target, bar)
    finally:
        bar.close()
        await target.close()
    for table in report:
        print(f"{table.name}: {table.rows} rows" + (" (copied before)" if table.skipped else ""))
    print(f"copied {sum(t.rows for t in report)} rows; counts checked")
    return 0
