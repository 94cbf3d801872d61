"""Turns at a politely polled host, shared by every process on the database.

A compare-and-set row per host, not a PostgreSQL advisory lock: it works the same on SQLite
(where one process's four pollers still take turns) and PostgreSQL, holds no connection while
the request runs, and a turn whose holder died simply expires. Taking a turn moves `free_at`
to the end of the longest the request may take; the holder gives it back with the spacing
(or a server's Retry-After) once the answer is in. Functions take a connection; the caller
owns the transaction. Times are the database's (`workers.clock`), the same for every host.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import dialect
from bot.storage.schema import host_turns
from bot.storage.workers import clock


async def try_take(
    conn: AsyncConnection, host: str, hold: timedelta
) -> tuple[datetime | None, float]:
    """Take the host's turn for at most `hold`: (when it is held until, 0) if it was free, or
    (None, seconds until it frees) if another poller holds it or it rests."""
    now = await clock(conn)
    await conn.execute(
        dialect.insert(conn.dialect, host_turns, skip_conflicts_on=["host"]).values(
            host=host, free_at=now
        )
    )
    taken = await conn.execute(
        host_turns.update()
        .where(host_turns.c.host == host, host_turns.c.free_at <= now)
        .values(free_at=now + hold)
    )
    if taken.rowcount == 1:
        return now + hold, 0.0
    held = select(host_turns.c.free_at).where(host_turns.c.host == host)
    free_at = (await conn.execute(held)).scalar_one()  # the row was inserted above if missing
    return None, max((free_at - now).total_seconds(), 0.0)


async def give_back(
    conn: AsyncConnection, host: str, held_until: datetime, rest: timedelta
) -> None:
    """End a turn: the host is free again `rest` from now (the spacing, or a Retry-After).
    A turn that expired meanwhile (and may be another's now) is left alone."""
    now = await clock(conn)
    await conn.execute(
        host_turns.update()
        .where(host_turns.c.host == host, host_turns.c.free_at == held_until)
        .values(free_at=now + rest)
    )
