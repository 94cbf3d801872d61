"""Bulk inserts through the driver's executemany, for the batches of ingest.

`conn.execute(table.insert(), rows)` builds the parameters of every row in Python (about 5 µs
a row); a batch of 256 articles has some 6,000 rows with their bands, sources and topics, and
that cost exceeded SQLite's own work. Here the statement is compiled once per dialect and the
rows go to the driver as tuples, through the same bind processors the column types define.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

Processor = Callable[[Any], Any]


async def insert_rows(
    conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert `rows`, dicts with the same keys, in one executemany. Column defaults do not
    apply: every row gives every value it stores."""
    if not rows:
        return
    sql, values_of, processors = _compiled(table, tuple(rows[0]), conn.dialect)
    values = [values_of(row) for row in rows]
    if processors:
        values = [_processed(row, processors) for row in values]
    await conn.exec_driver_sql(sql, values)


def _processed(values: tuple, processors: Sequence[tuple[int, Processor]]) -> tuple:
    converted = list(values)
    for index, process in processors:
        converted[index] = process(converted[index])
    return tuple(converted)


@lru_cache(maxsize=64)
def _compiled(
    table: Table, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, Callable[[Mapping[str, Any]], tuple], tuple[tuple[int, Processor], ...]]:
    """The INSERT of `keys` in the dialect's positional parameter style, a getter of a row's
    values in the statement's order, and the bind processors of the positions that have one."""
    compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
    names = tuple(compiled.positiontup or ())
    if sorted(names) != sorted(keys):
        raise ValueError(f"{table.name}: cannot insert {keys} with positional parameters")
    processors = (
        (index, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        for index, name in enumerate(names)
    )
    getter = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    return compiled.string, getter, tuple((i, p) for i, p in processors if p is not None)
