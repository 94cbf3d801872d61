"""Bulk inserts through the driver's executemany: ingest batches and digest fan-outs.

`conn.execute(table.insert(), rows)` builds the parameters of every row in Python (about 5 µs
a row): a batch of 256 articles has some 6,000 rows with their bands, sources and topics, a
digest for 100,000 subscribers 100,000 rows, and that cost exceeded the database's own work.
Here the statement is compiled once per dialect and the rows go to the driver as tuples,
through the bind processors their column types define.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from bot.storage import dialect as dialects

Processor = Callable[[Any], Any]


async def insert_rows(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    shared: Mapping[str, Any] | None = None,
    skip_conflicts_on: Sequence[str] = (),
) -> None:
    """Insert `rows`, dicts with the same keys, each with the `shared` values too, in one
    executemany. With `skip_conflicts_on` (unique columns), a row that clashes with a stored
    one or an earlier one is skipped. Column defaults do not apply: give every value."""
    if not rows:
        return
    shared = shared or {}
    keys = tuple(rows[0])
    sql, order, processors = _compiled(
        table, keys + tuple(shared), tuple(skip_conflicts_on), conn.dialect
    )
    constants = tuple(
        value if process is None else process(value)
        for process, value in zip(processors[len(keys) :], shared.values(), strict=True)
    )
    values = _driver_rows(rows, keys, processors[: len(keys)], order, constants)
    await conn.exec_driver_sql(sql, values)


async def execute_rows(
    conn: AsyncConnection, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run `statement` (an UPDATE with bound parameters) once per row of `rows`, dicts with the
    same keys, in one driver executemany: as `insert_rows` does for inserts."""
    if not rows:
        return
    keys = tuple(rows[0])
    sql, order, processors = _compiled_statement(statement, keys, conn.dialect)
    await conn.exec_driver_sql(sql, _driver_rows(rows, keys, processors, order))


def _driver_rows(
    rows: Sequence[Mapping[str, Any]],
    keys: tuple[str, ...],
    processors: Sequence[Processor | None],
    order: Callable[[tuple], tuple],
    constants: tuple = (),
) -> list[tuple]:
    """Each row's values at `keys`, converted by their processors, then `constants`, in the
    statement's order."""
    converting = [(i, process) for i, process in enumerate(processors) if process]
    gather = _getter(keys)
    values = []
    for row in rows:
        gathered = gather(row)
        if converting:
            gathered = _converted(gathered, converting)
        values.append(order(gathered + constants))
    return values


@lru_cache(maxsize=64)
def _compiled_statement(
    statement: ClauseElement, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, Callable[[tuple], tuple], tuple[Processor | None, ...]]:
    """`_compiled` for a statement whose parameters are named bindparams."""
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)  # a statement, so never DDL's compiler
    return _positional(compiled, keys, [compiled.binds[key].type for key in keys], dialect)


def _converted(values: tuple, processors: Sequence[tuple[int, Processor]]) -> tuple:
    converted = list(values)
    for index, process in processors:
        converted[index] = process(converted[index])
    return tuple(converted)


def _getter(keys: Sequence[Any]) -> Callable[[Any], tuple]:
    """A function of a row (or tuple) that returns its values at `keys` as a tuple."""
    if len(keys) == 1:
        [key] = keys
        return lambda row: (row[key],)
    return itemgetter(*keys)


@lru_cache(maxsize=64)
def _compiled(
    table: Table, keys: tuple[str, ...], conflict_keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, Callable[[tuple], tuple], tuple[Processor | None, ...]]:
    """The INSERT of `keys` in the dialect's positional parameter style; a function taking
    values in the order of `keys` to the statement's order; the bind processor of each key."""
    statement = dialects.insert(dialect, table, skip_conflicts_on=conflict_keys)
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    return _positional(compiled, keys, [table.c[key].type for key in keys], dialect)


def _positional(
    compiled, keys: tuple[str, ...], types: Sequence[Any], dialect: Dialect
) -> tuple[str, Callable[[tuple], tuple], tuple[Processor | None, ...]]:
    """A compiled statement's SQL, the function taking values in the order of `keys` to its
    positional order, and the bind processor of each key's type."""
    names = tuple(compiled.positiontup or ())
    if set(names) != set(keys):
        raise ValueError(
            f"cannot bind {sorted(keys)} to the positional parameters {sorted(set(names))}"
        )
    processors = tuple(kind.dialect_impl(dialect).bind_processor(dialect) for kind in types)
    return compiled.string, _getter([keys.index(name) for name in names]), processors
