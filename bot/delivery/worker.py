"""The delivery worker: the push scanner, the digest scheduler and the sender, until `stop`.

The sender claims due outbox rows in batches, queues them per chat (a chat's rows go in order,
one at a time) and lets `delivery_concurrency` workers send them through the limiter. Of
several workers on one database only one sends at a time (bot/delivery/election.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from itertools import groupby
from operator import attrgetter

from aiogram import Bot
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.delivery import retention
from bot.delivery.digests import enqueue_due_digests
from bot.delivery.election import SenderLock
from bot.delivery.heartbeat import Heartbeat
from bot.delivery.limiter import Limiter, Limits
from bot.delivery.messages import Composer
from bot.delivery.outbox import Clock, Outbox
from bot.delivery.pushes import scan_new_articles
from bot.delivery.sender import Sender
from bot.storage import chats
from bot.storage import deliveries as queries
from bot.storage.database import Database
from bot.storage.deliveries import Delivery
from bot.storage.schema import utcnow
from bot.supervisor import supervise

log = logging.getLogger(__name__)

CLAIM_SECONDS = 2.0  # claim about this many seconds of sending at the global rate at once
BUSY_WAIT = 0.02  # seconds between checks while the claimed backlog is still large


class StoredChats:
    """Chat changes the sender makes, each in its own transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def deactivate(self, chat_id: int, reason: str) -> None:
        async with self.db.transaction() as conn:
            await chats.deactivate_chat(conn, chat_id, reason)
            await queries.drop_pending(conn, chat_id, reason=reason)
        log.info("chat %s deactivated: %s", chat_id, reason, extra={"chat": chat_id})

    async def migrate(self, old_id: int, new_id: int) -> None:
        async with self.db.transaction() as conn:
            if await chats.get_chat(conn, new_id) is not None:
                # Merging into a chat that exists: its rows would go with the old chat's row.
                await queries.move_pending(conn, old_id, new_id)
            await chats.migrate_chat(conn, old_id, new_id)
        log.info("chat %s moved to %s", old_id, new_id, extra={"chat": new_id})


async def run_delivery(
    db: Database, bot: Bot, settings: Settings, stop: asyncio.Event, *, clock: Clock = utcnow
) -> None:
    """Deliver pushes and digests until `stop` is set; each loop (and the heartbeat) under the
    supervisor, which retries it through database and network failures."""
    async with Heartbeat(db, settings).alive() as heartbeat:
        await _deliver(db, bot, settings, stop, clock, heartbeat)


async def _deliver(
    db: Database,
    bot: Bot,
    settings: Settings,
    stop: asyncio.Event,
    clock: Clock,
    heartbeat: Heartbeat,
) -> None:
    worker = heartbeat.id
    outbox = Outbox(db, clock, worker=worker)
    limiter = Limiter(Limits.from_settings(settings))
    sender = Sender(bot, outbox, limiter, StoredChats(db), Composer(db, settings), settings)

    async def scan_pushes() -> None:
        if await scan_new_articles(db, settings, clock()):
            outbox.wake.set()

    async def enqueue_digests() -> None:
        if await enqueue_due_digests(db, settings, clock()):
            outbox.wake.set()

    async def prune() -> None:
        await retention.prune_old_rows(db, settings, clock())

    async def send_while_elected(ran: Callable[[], None]) -> None:
        await _send_while_elected(
            SenderLock(db, worker, poll=settings.delivery_poll),
            lambda: SendLoop(outbox, sender, limiter, settings),
            takeover_pause(settings),
            stop,
            ran,
            heartbeat.taken_for_dead,
        )

    # A loop that gives up (bot/supervisor.py) ends the group, the others with it: the
    # process then ends for its supervisor to restart it, never running on without them.
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(heartbeat.beat_forever(stop))
        tasks.create_task(_every(settings.push_scan_interval, stop, scan_pushes, settings))
        tasks.create_task(_every(retention.INTERVAL, stop, prune, settings))
        tasks.create_task(_every(settings.digest_check_interval, stop, enqueue_digests, settings))
        tasks.create_task(
            supervise("delivery.send", settings.delivery_poll, send_while_elected, stop, settings)
        )


def takeover_pause(settings: Settings) -> float:
    """The longest spacing Telegram's limits ask for: a new sender waits this long before its
    first message, so none goes out too close to what a previous sender sent last."""
    return max(
        1 / settings.delivery_rate,
        1 / settings.delivery_chat_rate,
        60 / settings.delivery_group_rate,
    )


async def _send_while_elected(
    lock: SenderLock,
    send_loop: Callable[[], SendLoop],
    pause: float,
    stop: asyncio.Event,
    ran: Callable[[], None],
    taken_for_dead: asyncio.Event,
) -> None:
    """Send while this worker is the sender; stand by while another one is. A lost database
    ends this with its error (the supervisor starts it again). Taken for dead by the other
    workers (its claims freed), it stops sending what it claimed before and starts afresh."""
    while not stop.is_set():
        async with lock.held(stop, ran) as lost:
            if lost is None:
                return
            await _wait(stop, pause)
            taken_for_dead.clear()
            async with _either(stop, lost, taken_for_dead) as sending_ends:
                await send_loop().run(sending_ends, ran)


@contextlib.asynccontextmanager
async def _either(*events: asyncio.Event) -> AsyncIterator[asyncio.Event]:
    """An event set as soon as any of `events` is."""
    any_set = asyncio.Event()

    async def relay(event: asyncio.Event) -> None:
        await event.wait()
        any_set.set()

    relays = [asyncio.create_task(relay(event)) for event in events]
    try:
        yield any_set
    finally:
        for task in relays:
            task.cancel()
        await asyncio.gather(*relays, return_exceptions=True)


async def _every(
    interval: float, stop: asyncio.Event, job: Callable[[], Awaitable[None]], settings: Settings
) -> None:
    """Run `job` now and then every `interval` seconds; a failed run is retried by the
    supervisor (backed off), and ends the process if it keeps failing."""

    async def passes(ran: Callable[[], None]) -> None:
        while not stop.is_set():
            await job()
            ran()
            await _wait(stop, interval)

    await supervise(f"delivery.{job.__name__}", interval, passes, stop, settings)


class SendLoop:
    """Claims due rows in batches and hands them, grouped per chat, to the sending workers."""

    def __init__(
        self, outbox: Outbox, sender: Sender, limiter: Limiter, settings: Settings
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        self.limiter = limiter
        self.settings = settings
        self.batch = max(
            2 * settings.delivery_concurrency, round(settings.delivery_rate * CLAIM_SECONDS)
        )
        self.queue: asyncio.Queue[list[Delivery] | None] = asyncio.Queue()
        self.held: set[int] = set()  # ids claimed by this process and not settled yet
        self.stranded: set[int] = set()  # claimed, failed without an outcome: to hand back
        self.lost_database: Exception | None = None  # a sending worker could not record a send
        self._halt = asyncio.Event()

    async def run(self, stop: asyncio.Event, ran: Callable[[], None] = lambda: None) -> None:
        """Send until `stop`; raises the database's error when a send could not be recorded.

        Sending stops at once then: a message that cannot be marked sent would go again, so
        each sending worker has at most the message it had in flight unrecorded (a cut of the
        database duplicates at most SVODKA_DELIVERY_CONCURRENCY messages)."""
        async with _either(stop, self._halt) as ends:
            workers = [
                asyncio.create_task(self._work(ends))
                for _ in range(self.settings.delivery_concurrency)
            ]
            try:
                await self._feed(ends, ran)
            finally:
                await self._shut_down(workers)
        if self.lost_database is not None:
            raise self.lost_database

    async def _feed(self, stop: asyncio.Event, ran: Callable[[], None]) -> None:
        while not stop.is_set():
            await self._claim_more(stop)
            ran()

    async def _claim_more(self, stop: asyncio.Event) -> None:
        room = self.batch - len(self.held)
        if room < self.batch // 2:
            await _wait(stop, BUSY_WAIT)
            return
        if self.stranded:
            await self.outbox.hand_back(self.stranded, after=self.settings.delivery_backoff_max)
            self.stranded.clear()
        rows = await self.outbox.claim(room)
        by_chat = sorted(rows, key=attrgetter("chat_id", "id"))
        for _, chat_rows in groupby(by_chat, key=attrgetter("chat_id")):
            chat_batch = list(chat_rows)
            self.held.update(row.id for row in chat_batch)
            self.queue.put_nowait(chat_batch)
        if len(rows) < room:
            self.limiter.forget_idle()
            await _wait(stop, self.settings.delivery_poll, self.outbox.wake)

    async def _work(self, stop: asyncio.Event) -> None:
        while (chat_batch := await self.queue.get()) is not None:
            for row in chat_batch:
                # `_halt` read here, not only through `stop` (which relays it a step later):
                # no worker starts another message once one could not record its own.
                if stop.is_set() or self._halt.is_set():
                    break  # left in `held`: released at shutdown
                try:
                    proceed = await self.sender.deliver(row)
                except (SQLAlchemyError, OSError) as error:  # a send may go unrecorded: stop
                    self.lost_database = self.lost_database or error
                    self._halt.set()  # left in `held`; its claim is freed when sending resumes
                    break
                except Exception:
                    # No outcome was recorded: the row is handed back before the next claim,
                    # due after the longest retry delay (a row that always fails is no loop).
                    self.stranded.add(row.id)
                    log.exception(
                        "delivery %s to %s failed unexpectedly",
                        row.item,
                        row.chat_id,
                        extra={"chat": row.chat_id, "delivery": row.id, "article": row.article_id},
                    )
                    proceed = True
                self.held.discard(row.id)
                if not proceed:  # the chat's other rows were postponed or dropped in the database
                    self.held.difference_update(row.id for row in chat_batch)
                    break

    async def _shut_down(self, workers: list[asyncio.Task[None]]) -> None:
        """Let messages in flight finish (for SVODKA_SHUTDOWN_GRACE seconds at most), then hand
        back every row this process still holds, so a restart or another worker sends them at
        once. A message cut off here may have reached the chat: it can arrive twice, as after
        a crash."""
        while not self.queue.empty():
            self.queue.get_nowait()
        for _ in workers:
            self.queue.put_nowait(None)
        grace = self.settings.shutdown_grace
        _, stuck = await asyncio.wait(workers, timeout=grace)
        for worker in stuck:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if self.held:
            await self.outbox.hand_back(self.held)
            log.info(
                "stopped: %d claimed deliveries handed back (%d sends cut off after %g s)",
                len(self.held),
                len(stuck),
                grace,
            )


async def _wait(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Sleep up to `seconds`, less if `stop` (or `wake`, which is then cleared) gets set."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    _, pending = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in pending:
        waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*pending)
    if wake is not None:
        wake.clear()
