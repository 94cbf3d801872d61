"""One sender at a time: Telegram's limits are the bot's, so of all the workers on a database
exactly one sends, and the others stand by to take over.

Why one sender rather than a budget shared between senders: the limits are not one rate but
three at once (the bot's messages per second, one per second per private chat, 20 a minute per
group) plus 429s that pause a chat or the whole bot. One process holding them all in memory
keeps every one of them exactly, with the limiter that already does (bot/delivery/limiter.py);
a shared budget would put a database or Redis round trip in front of every message and still
need the per-chat bookkeeping shared too. One sender at 30 messages a second uses a small part
of one core, so nothing is lost by not spreading the sending; the other workers' share is
everything else (feeds, pushes, digests) and taking over at once when the sender goes.

On PostgreSQL the sender holds a session advisory lock on a connection of its own. When its
process dies, even by kill -9, the server ends that session and frees the lock, and a standby
gets it within SVODKA_DELIVERY_POLL. The new sender frees the claims of every other worker (only
a sender claims, and the previous one no longer may), then waits out the longest spacing of the
limits before its first message, so nothing goes out closer than Telegram allows to what the
previous sender sent last. On SQLite there is one `svodka run` per file: it is the sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import metrics
from bot.logs import one_line
from bot.storage import deliveries as queries
from bot.storage.database import Database

log = logging.getLogger(__name__)

SENDER_LOCK = 0x53656E64  # advisory lock key: "Send" in ASCII, with the schema's hash
WATCH_INTERVAL = 1.0  # seconds between checks that the lock's session is still there


class SenderLock:
    def __init__(self, db: Database, worker: str, *, poll: float) -> None:
        self.db = db
        self.worker = worker
        self.poll = poll
        self._conn: AsyncConnection | None = None

    @contextlib.asynccontextmanager
    async def held(
        self, stop: asyncio.Event, ran: Callable[[], None] = lambda: None
    ) -> AsyncIterator[asyncio.Event | None]:
        """Wait until this worker is the sender (or `stop`), calling `ran()` at each look while
        standing by; inside the block, an event that is set if the lock is lost (None if `stop`
        came first). Released on the way out. Every claim is freed on the way in: the sender
        is the only claimer, and a new one (or this one sending again after it lost the
        database) has nothing in flight. A database error is raised (for the supervisor)."""
        metrics.sender(self.worker, False)
        if self.db.is_sqlite:
            await self._release_claims()
            metrics.sender(self.worker, True)
            try:
                yield asyncio.Event()  # the only process on the file: never lost
            finally:
                metrics.sender(self.worker, False)
            return
        if not await self._acquire(stop, ran):
            yield None
            return
        lost = asyncio.Event()
        watch = asyncio.create_task(self._watch(lost), name="sender-lock-watch")
        metrics.sender(self.worker, True)
        try:
            yield lost
        finally:
            metrics.sender(self.worker, False)
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            await self._release()

    async def _acquire(self, stop: asyncio.Event, ran: Callable[[], None]) -> bool:
        announced = False
        while not stop.is_set():
            try:
                if await self._try_lock():
                    log.info("this worker is the sender now")
                    await self._release_claims()
                    return True
            except BaseException:
                await self._release()
                raise
            ran()
            if not announced:
                log.info("standing by: another worker is sending")
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll)
        return False

    async def _release_claims(self) -> None:
        async with self.db.transaction() as conn:
            freed = await queries.release_all(conn)
        if freed:
            log.info("%d claimed deliveries freed for sending", freed)

    async def _try_lock(self) -> bool:
        if self._conn is None:
            conn = await self.db.engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        locked = await self._conn.scalar(
            text("SELECT pg_try_advisory_lock(:key, hashtext(current_schema()))"),
            {"key": SENDER_LOCK},
        )
        return bool(locked)

    async def _watch(self, lost: asyncio.Event) -> None:
        assert self._conn is not None  # watched only while the lock, taken on it, is held
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                await self._conn.execute(text("SELECT 1"))
            except Exception as error:
                log.warning("sender lock's connection gone (%s): sending stops", one_line(error))
                lost.set()
                return

    async def _release(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        with contextlib.suppress(Exception):  # a broken session has released the lock already
            await conn.execute(
                text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))"),
                {"key": SENDER_LOCK},
            )
        with contextlib.suppress(Exception):
            await conn.close()
