"""The outbox as the delivery worker uses it: item keys, and each state change in its own
short transaction, so that what Telegram confirmed is on disk before the next message goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import deliveries as queries
from bot.storage.articles import ArticleView
from bot.storage.database import Database
from bot.storage.deliveries import Confirmed, Delivery

Clock = Callable[[], datetime]


def article_item(article_id: int) -> str:
    return f"article:{article_id}"


def push_item(view: ArticleView) -> str:
    """What a push is unique by, per chat: the article's story, so that an article joining a
    story the chat was pushed already is not pushed again (and an article without a story,
    in an archive being upgraded, by itself)."""
    return f"story:{view.story_id}" if view.story_id is not None else article_item(view.id)


@lru_cache(maxsize=64)
def digest_item(period: date) -> str:
    return f"digest:{period.isoformat()}"


class Outbox:
    def __init__(self, db: Database, clock: Clock, *, worker: str | None = None) -> None:
        self.db = db
        self.clock = clock
        self.worker = worker  # the `workers` row claims belong to (None: this one only enqueues)
        self.wake = asyncio.Event()  # set when rows were added by this process
        # The workers' writes take turns here rather than in SQLite's busy handler, which
        # sleeps for milliseconds between tries when transactions of one process collide.
        self._writing = asyncio.Lock()
        self._confirmed: list[tuple[Confirmed, asyncio.Future[None]]] = []  # waiting for a commit

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self._writing, self.db.transaction() as conn:
            yield conn

    async def enqueue(self, rows: Sequence[dict[str, object]]) -> None:
        """Add (chat, item) rows in one transaction; pairs already there are kept as they are."""
        async with self._transaction() as conn:
            await queries.enqueue(conn, rows, self.clock())
        self.wake.set()

    async def hand_back(self, ids: Collection[int], *, after: float = 0.0) -> None:
        """Claims of this worker given up: free for a restart or another worker at once (a
        graceful stop), or after `after` seconds; rows it no longer holds stay as they are."""
        if self.worker is None:
            raise RuntimeError("an outbox without a worker holds no claims")
        due = self.clock() + timedelta(seconds=after) if after else None
        async with self._transaction() as conn:
            await queries.release(conn, ids, worker=self.worker, due=due)

    async def claim(self, limit: int) -> list[Delivery]:
        if self.worker is None:
            raise RuntimeError("an outbox without a worker cannot claim")
        async with self._transaction() as conn:
            return await queries.claim(conn, self.clock(), limit=limit, worker=self.worker)

    async def sent(self, row: Delivery, *, message_id: int, parts: int, done: bool) -> None:
        """Telegram confirmed message number `parts` of the row (its last one when `done`);
        returns once that is committed.

        Group commit: confirmations that arrive while another transaction is being written are
        committed together by the next writer, so each worker still waits for its own mark
        (at most one unmarked message per worker) but the database sees one transaction per
        batch instead of one per message.
        """
        committed = asyncio.get_running_loop().create_future()
        self._confirmed.append((Confirmed(row.id, message_id, parts, done), committed))
        async with self._writing:
            batch, self._confirmed = self._confirmed, []
            if batch:
                await self._commit_confirmed(batch)
        await committed

    async def _commit_confirmed(self, batch: list[tuple[Confirmed, asyncio.Future[None]]]) -> None:
        try:
            async with self.db.transaction() as conn:
                await queries.mark_confirmed(conn, [item for item, _ in batch], self.clock())
        except Exception as error:
            for _, committed in batch:
                committed.set_exception(error)
        else:
            for _, committed in batch:
                committed.set_result(None)

    async def retry(self, row: Delivery, delay: float, error: str, *, count: bool) -> None:
        at = self.clock() + timedelta(seconds=delay)
        async with self._transaction() as conn:
            await queries.retry_at(conn, row.id, at, error=error, count=count)

    async def fail(self, row: Delivery, error: str) -> None:
        async with self._transaction() as conn:
            await queries.mark_failed(conn, row.id, error=error)

    async def postpone_chat(self, chat_id: int, seconds: float, error: str, row: Delivery) -> None:
        """Telegram asked to wait: no row of the chat before then, this one not counted."""
        until = self.clock() + timedelta(seconds=seconds)
        async with self._transaction() as conn:
            await queries.postpone_chat(conn, chat_id, until)
            await queries.retry_at(conn, row.id, until, error=error, count=False)
