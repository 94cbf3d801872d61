"""The `workers` table: which delivery workers are alive. The caller owns the transaction.

A worker writes its heartbeat every few seconds; any worker deletes the rows of workers whose
heartbeat is older than the timeout, and deleting a row frees every outbox row it had claimed
(deliveries.claimed_by is ON DELETE SET NULL), so a dead worker's claims come back by
construction, with nothing to scan or expire.

Heartbeats use one clock for every process: PostgreSQL's on PostgreSQL (workers may run on
several machines), the process's own on SQLite (one machine).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.schema import utcnow, workers


async def clock(conn: AsyncConnection) -> datetime:
    if conn.dialect.name == "postgresql":
        return (await conn.execute(select(func.clock_timestamp()))).scalar_one()
    return utcnow()


async def register(conn: AsyncConnection, worker_id: str, role: str, host: str, pid: int) -> None:
    now = await clock(conn)
    await conn.execute(
        insert(workers).values(
            id=worker_id, role=role, host=host, pid=pid, started_at=now, heartbeat_at=now
        )
    )


async def beat(conn: AsyncConnection, worker_id: str) -> bool:
    """Record that the worker is alive; False if its row is gone (it was taken for dead)."""
    result = await conn.execute(
        update(workers).where(workers.c.id == worker_id).values(heartbeat_at=await clock(conn))
    )
    return result.rowcount == 1


async def reap(conn: AsyncConnection, silent_for: timedelta, *, keep: str) -> int:
    """Delete the workers silent for longer than `silent_for` (their claims go with them)."""
    result = await conn.execute(
        delete(workers).where(
            workers.c.heartbeat_at < await clock(conn) - silent_for, workers.c.id != keep
        )
    )
    return result.rowcount


async def reap_all_but(conn: AsyncConnection, keep: str) -> int:
    """Delete every other worker: for a process that knows it is the only one (SQLite)."""
    result = await conn.execute(delete(workers).where(workers.c.id != keep))
    return result.rowcount


async def leave(conn: AsyncConnection, worker_id: str) -> None:
    await conn.execute(delete(workers).where(workers.c.id == worker_id))
