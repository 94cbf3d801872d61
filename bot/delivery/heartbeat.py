"""A delivery worker's life in the `workers` table: registered at start, a heartbeat every
SVODKA_WORKER_HEARTBEAT seconds, gone at a clean stop; and the reaping of workers that stopped
beating for SVODKA_WORKER_TIMEOUT seconds, whose claimed rows other workers then send.

On SQLite only one `svodka run` may use the file, so a starting worker knows any other row
is a dead predecessor's and frees its claims at once (`sole`, the default there).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

from bot.config import Settings
from bot.logs import one_line
from bot.storage import workers
from bot.storage.database import Database
from bot.supervisor import pause, supervise

log = logging.getLogger(__name__)


def new_worker_id() -> str:
    """Unique per process start: a restarted process is a new worker."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class Heartbeat:
    def __init__(
        self, db: Database, settings: Settings, *, role: str = "worker", sole: bool | None = None
    ) -> None:
        self.db = db
        self.sole = db.is_sqlite if sole is None else sole
        self.id = new_worker_id()
        self.role = role
        self.settings = settings
        self.interval = settings.worker_heartbeat
        self.timeout = timedelta(seconds=settings.worker_timeout)
        self.taken_for_dead = asyncio.Event()  # set when a beat found this worker's row gone

    @contextlib.asynccontextmanager
    async def alive(self) -> AsyncIterator[Heartbeat]:
        """Registered inside the block (`beat_forever` keeps it so); deleted on the way out,
        which hands back whatever this worker still holds."""
        await self._register()
        try:
            yield self
        finally:
            try:
                async with self.db.transaction() as conn:
                    await workers.leave(conn, self.id)
            except Exception as error:  # the database is away: the others reap this row
                log.warning("worker %s could not sign off (%s)", self.id, one_line(error))

    async def _register(self) -> None:
        async with self.db.transaction() as conn:
            if self.sole:
                freed = await workers.reap_all_but(conn, self.id)
            else:
                freed = await workers.reap(conn, self.timeout, keep=self.id)
            await workers.register(conn, self.id, self.role, socket.gethostname(), os.getpid())
        if freed:
            log.info("%d stopped worker(s) removed: their claimed deliveries are free", freed)

    async def beat_forever(self, stop: asyncio.Event) -> None:
        """A beat every SVODKA_WORKER_HEARTBEAT seconds until `stop`, under the supervisor."""

        async def beats(ran: Callable[[], None]) -> None:
            while not stop.is_set():
                await pause(stop, self.interval)
                await self.beat()
                ran()

        await supervise("delivery.heartbeat", self.interval, beats, stop, self.settings)

    async def beat(self) -> None:
        """Prove this worker alive, and free the claims of workers that are not."""
        async with self.db.transaction() as conn:
            if not await workers.beat(conn, self.id):
                # Silent too long (a stalled loop, a lost database): taken for dead, its claims
                # freed. It carries on as a new registration; messages it had in flight may
                # also be sent by another worker (at most one duplicate each, as after a crash).
                log.warning("worker %s was taken for dead; registering again", self.id)
                await workers.register(conn, self.id, self.role, socket.gethostname(), os.getpid())
                self.taken_for_dead.set()
            reaped = await workers.reap(conn, self.timeout, keep=self.id)
        if reaped:
            log.info("%d silent worker(s) removed: their claimed deliveries are free", reaped)
