"""Telegram update ids some bot instance has taken on, so that an update delivered twice (a
webhook retried, a redelivery to another instance) is acted on once. The caller owns the
transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import dialect
from bot.storage.schema import processed_updates

# Telegram keeps an update for 24 hours at most: an older id never comes back.
KEEP = timedelta(days=1, hours=1)


async def take(conn: AsyncConnection, update_id: int, now: datetime) -> bool:
    """Record the update as taken on; False if an instance already did."""
    statement = dialect.insert(conn.dialect, processed_updates, skip_conflicts_on=["update_id"])
    result = await conn.execute(statement.values(update_id=update_id, seen_at=now))
    return result.rowcount == 1


async def prune(conn: AsyncConnection, now: datetime) -> int:
    result = await conn.execute(
        delete(processed_updates).where(processed_updates.c.seen_at < now - KEEP)
    )
    return result.rowcount
