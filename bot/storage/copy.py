"""`svodka db copy --to URL`: every table of the schema from one database into another, most
often a SQLite archive into PostgreSQL when a deployment outgrows one process.

Generic over `schema.metadata`: tables are copied in dependency order (a row's parents first),
so a table added by a later migration is copied without a change here. Each table goes in one
transaction of the target, in batches with a progress bar, so a copy that stops halfway leaves
every table whole or empty: run again, it skips the tables already copied (same count) and
copies the empty ones; a table holding other rows is refused (copy into an empty database).
Derived rows need no copying: full-text search is rebuilt by the target itself (the FTS5
triggers on SQLite, the generated column on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import ConfigError
from bot.storage.database import Database
from bot.storage.schema import metadata, workers

BATCH = 1000  # rows per INSERT
# The live processes of the source deployment: not data, and meaningless elsewhere. Columns
# pointing at them (a delivery's claim) are copied as NULL, which means "free".
NOT_COPIED = frozenset({workers.name})

# (table, rows copied so far, rows in all): a progress bar per table.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class TableCopy:
    name: str
    rows: int
    skipped: bool  # already in the target from an earlier run


def copied_tables() -> list[Table]:
    return [table for table in metadata.sorted_tables if table.name not in NOT_COPIED]


async def copy_database(source: Database, target: Database, progress: Progress) -> list[TableCopy]:
    """Copy every table of `source` into `target` (both at the newest schema), then check
    that the counts match. Raises ConfigError when the target holds other rows."""
    if source.url.render_as_string(False) == target.url.render_as_string(False):
        raise ConfigError("--to is the database being copied; name another one")
    tables = copied_tables()
    counts = {table.name: await _count(source, table) for table in tables}
    done = {table.name: await _count(target, table) for table in tables}
    if conflicts := [
        f"{name} ({done[name]} rows, {counts[name]} to copy)"
        for name in counts
        if done[name] and done[name] != counts[name]
    ]:
        raise ConfigError(
            "the target database already holds other rows in "
            + ", ".join(conflicts)
            + ": copy into an empty database"
        )
    report = []
    for table in tables:
        skipped = bool(done[table.name]) or not counts[table.name]
        if not skipped:
            await _copy_table(source, target, table, counts[table.name], progress)
        report.append(TableCopy(table.name, counts[table.name], skipped and bool(done[table.name])))
    if not target.is_sqlite:
        await _advance_sequences(target, tables)
    if wrong := [
        f"{table.name}: {count} of {counts[table.name]}"
        for table in tables
        if (count := await _count(target, table)) != counts[table.name]
    ]:
        raise ConfigError("the copy's counts differ from the source's: " + "; ".join(wrong))
    return report


async def _count(db: Database, table: Table) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def _copy_table(
    source: Database, target: Database, table: Table, total: int, progress: Progress
) -> None:
    nulled = {key.parent.name for key in table.foreign_keys if key.column.table.name in NOT_COPIED}
    copied = 0
    progress(table.name, copied, total)
    async with source.engine.connect() as reader, target.transaction() as writer:
        result = await reader.stream(select(table).execution_options(yield_per=BATCH))
        async for batch in result.mappings().partitions(BATCH):
            rows = [{**row, **dict.fromkeys(nulled)} for row in batch]
            await writer.execute(insert(table), rows)
            copied += len(rows)
            progress(table.name, copied, total)


async def _advance_sequences(target: Database, tables: list[Table]) -> None:
    """PostgreSQL hands out ids from a sequence that the copied ids did not move: set each to
    the largest id copied, or the next insert collides with a copied row."""
    async with target.transaction() as conn:
        for table in tables:
            column = table.autoincrement_column
            if column is None:
                continue
            await _advance(conn, table.name, column.name)


async def _advance(conn: AsyncConnection, table: str, column: str) -> None:
    sequence = await conn.scalar(
        text("SELECT pg_get_serial_sequence(:table, :column)"),
        {"table": table, "column": column},
    )
    if sequence is None:
        return
    await conn.execute(
        text(
            f'SELECT setval(:sequence, coalesce(max("{column}"), 1), max("{column}") IS NOT NULL)'
            f' FROM "{table}"'
        ),
        {"sequence": sequence},
    )
