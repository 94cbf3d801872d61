"""The outbox as the delivery worker uses it: item keys, and each state change in its own
short transaction, so that what Telegram confirmed is on disk before the next message goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache

from bot.storage import deliveries as queries
from bot.storage.database import Database
from bot.storage.deliveries import Delivery

Clock = Callable[[], datetime]


def article_item(article_id: int) -> str:
    return f"article:{article_id}"


@lru_cache(maxsize=64)
def digest_item(period: date) -> str:
    return f"digest:{period.isoformat()}"


class Outbox:
    def __init__(self, db: Database, clock: Clock, *, lease: float) -> None:
        self.db = db
        self.clock = clock
        self.lease = timedelta(seconds=lease)
        self.wake = asyncio.Event()  # set when rows were added by this process

    async def enqueue(self, rows: Sequence[dict]) -> None:
        """Add (chat, item) rows in one transaction; pairs already there are kept as they are."""
        async with self.db.transaction() as conn:
            await queries.enqueue(conn, rows, self.clock())
        self.wake.set()

    async def release(self, ids: Collection[int]) -> None:
        """Claimed rows that were never tried are due again now."""
        async with self.db.transaction() as conn:
            await queries.release(conn, ids, self.clock())

    async def claim(self, limit: int, *, exclude: Collection[int] = ()) -> list[Delivery]:
        async with self.db.transaction() as conn:
            return await queries.claim(
                conn, self.clock(), limit=limit, lease=self.lease, exclude=exclude
            )

    async def sent(self, row: Delivery, *, message_id: int, parts: int, done: bool) -> None:
        """Telegram confirmed message number `parts` of the row (the last one when `done`)."""
        async with self.db.transaction() as conn:
            if done:
                await queries.mark_sent(
                    conn, row.id, message_id=message_id, parts=parts, now=self.clock()
                )
            else:
                await queries.mark_progress(conn, row.id, message_id=message_id, parts=parts)

    async def retry(self, row: Delivery, delay: float, error: str, *, count: bool) -> None:
        at = self.clock() + timedelta(seconds=delay)
        async with self.db.transaction() as conn:
            await queries.retry_at(conn, row.id, at, error=error, count=count)

    async def fail(self, row: Delivery, error: str) -> None:
        async with self.db.transaction() as conn:
            await queries.mark_failed(conn, row.id, error=error)

    async def postpone_chat(self, chat_id: int, seconds: float, error: str, row: Delivery) -> None:
        """Telegram asked to wait: no row of the chat before then, this one not counted."""
        until = self.clock() + timedelta(seconds=seconds)
        async with self.db.transaction() as conn:
            await queries.postpone_chat(conn, chat_id, until)
            await queries.retry_at(conn, row.id, until, error=error, count=False)
