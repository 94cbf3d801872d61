"""The feed poller `svodka run` keeps in the background: each feed on its own schedule, failing
feeds backed off, until `stop` is set.

FEEDS_AT_ONCE pollers each claim the feed that has waited longest (`claim_feed`), poll it and
claim the next. A slow feed (bounded by its fetch timeout, parse budget and page budget) holds
one poller; the other feeds keep their schedule. One line is logged per poll that changed
anything, never one per item.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import aiohttp

from bot import metrics
from bot.config import Settings
from bot.ingest import fetch
from bot.ingest.channels import poll_channel
from bot.ingest.feeds import FEED_BUDGET, PAGES_BUDGET, mark_failed, poll_feed
from bot.ingest.offload import INLINE, Offload
from bot.ingest.pipeline import IngestReport
from bot.logs import one_line
from bot.storage import sources
from bot.storage.database import Database
from bot.storage.schema import utcnow
from bot.supervisor import is_transient, supervise

logger = logging.getLogger(__name__)

MAX_SLEEP = 60.0  # seconds; feeds added meanwhile (`svodka feeds add`) are noticed this soon
FEEDS_AT_ONCE = 4
CLAIM_LEASE = timedelta(seconds=30)
CLAIM_RENEW = 10.0
"""A claimed feed is not claimed again for CLAIM_LEASE; the poller holding it renews the claim
every CLAIM_RENEW seconds while it polls, so a poll may take as long as its budgets allow, and
a poller that dies (even by kill -9) leaves its feed to the others within CLAIM_LEASE, less
than the shortest poll interval (SVODKA_FEED_POLL_INTERVAL is at least a minute)."""


async def poll_feeds_forever(
    db: Database, settings: Settings, stop: asyncio.Event, offload: Offload = INLINE
) -> None:
    """Poll feeds as they fall due until `stop` is set. One broken feed never stops others;
    a lost database stops all pollers, and the supervisor starts them again."""
    # A pass of a poller: a wait for the next due feed, or one poll (a fetch, parsing, item
    # pages within their budget).
    longest_pass = MAX_SLEEP + settings.fetch_timeout * (PAGES_BUDGET + 1) + FEED_BUDGET
    async with fetch.open_session(settings) as session:

        async def pollers(ran: Callable[[], None]) -> None:
            async with asyncio.TaskGroup() as group:  # one failing ends the others
                for _ in range(FEEDS_AT_ONCE):
                    group.create_task(
                        _poll_in_turn(db, settings, stop, session=session, offload=offload, ran=ran)
                    )

        await supervise("feeds", longest_pass, pollers, stop, settings)


async def _poll_in_turn(
    db: Database,
    settings: Settings,
    stop: asyncio.Event,
    *,
    session: aiohttp.ClientSession,
    offload: Offload,
    ran: Callable[[], None],
) -> None:
    while not stop.is_set():
        claim = await claim_feed(db)
        if claim is not None:
            feed, held_until = claim
            async with _renewing(db, feed.id, held_until):
                await poll_claimed(db, feed, settings, session=session, offload=offload)
        else:
            with contextlib.suppress(TimeoutError):  # the timeout is the normal wake-up
                await asyncio.wait_for(stop.wait(), timeout=await _seconds_to_next_poll(db))
        ran()


async def claim_feed(db: Database) -> tuple[sources.Feed, datetime] | None:
    """The next feed to poll, claimed for the caller until the time returned with it; None if
    none is due. The one place that decides who polls what: several processes need only a
    claim shared through the database."""
    now = utcnow()
    async with db.transaction() as conn:
        feed = await sources.claim_due_feed(conn, now, CLAIM_LEASE)
    return None if feed is None else (feed, now + CLAIM_LEASE)


@contextlib.asynccontextmanager
async def _renewing(db: Database, feed_id: int, held_until: datetime) -> AsyncIterator[None]:
    """Keep the feed claimed while the block runs (its outcome, once recorded, ends that)."""

    async def renew() -> None:
        held = held_until
        while True:
            await asyncio.sleep(CLAIM_RENEW)
            until = utcnow() + CLAIM_LEASE
            try:
                async with db.transaction() as conn:
                    if not await sources.extend_claim(conn, feed_id, held, until):
                        return
                held = until
            except Exception as error:  # the next renewal tries again; the lease outlasts two
                why, about = one_line(error), {"feed": feed_id}
                logger.warning("feed %s: claim not renewed (%s)", feed_id, why, extra=about)

    task = asyncio.create_task(renew(), name=f"feed-{feed_id}-claim")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def poll_claimed(
    db: Database,
    feed: sources.Feed,
    settings: Settings,
    *,
    session: aiohttp.ClientSession,
    offload: Offload = INLINE,
) -> IngestReport:
    """Poll a claimed feed and log what it gave, in one line."""
    started = time.perf_counter()
    try:
        poll = poll_channel if feed.kind == sources.CHANNEL else poll_feed
        report = await poll(db, feed, settings, session=session, offload=offload)
    except Exception as error:  # a bug must not stop the others
        if is_transient(error):
            raise  # the database is lost: the supervisor stops the pollers and starts them again
        logger.exception("feed %s: poll failed", feed.url, extra={"feed": feed.id})
        await mark_failed(db, feed, settings, f"internal error: {error!r}")
        return IngestReport()
    finally:
        metrics.feed_polled(feed.id, time.perf_counter() - started)
    if report.added or report.merged or report.rejected:
        first = f"; first problem: {report.problems[0]}" if report.problems else ""
        logger.info("feed %s: %s%s", feed.url, report, first, extra={"feed": feed.id})
    return report


async def _seconds_to_next_poll(db: Database) -> float:
    async with db.read() as conn:
        due = await sources.next_due(conn)
    if due is None:
        return MAX_SLEEP
    return min(max((due - utcnow()).total_seconds(), 1.0), MAX_SLEEP)
