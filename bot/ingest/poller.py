"""The feed poller `svodka run` keeps in the background: every feed when it is due, failing
feeds backed off, until `stop` is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

from bot.config import Settings
from bot.ingest import fetch
from bot.ingest.feeds import mark_failed, poll_feed
from bot.storage import sources
from bot.storage.database import Database
from bot.storage.schema import utcnow

logger = logging.getLogger(__name__)

MAX_SLEEP = 60.0  # seconds; feeds added meanwhile (`svodka feeds add`) are noticed this soon
# Feeds fetched at once: a slow or hanging feed (up to SVODKA_FETCH_TIMEOUT) no longer holds
# back the rest, while parsing and summarizing, which share the event loop, stay in step.
FEEDS_AT_ONCE = 4


async def poll_feeds_forever(db: Database, settings: Settings, stop: asyncio.Event) -> None:
    """Poll due feeds until `stop` is set. One broken feed never stops the others."""
    async with fetch.open_session(settings) as session:
        while not stop.is_set():
            await poll_due_feeds(db, settings, session=session)
            with contextlib.suppress(TimeoutError):  # the timeout is the normal wake-up
                await asyncio.wait_for(stop.wait(), timeout=await _seconds_to_next_poll(db))


async def poll_due_feeds(
    db: Database, settings: Settings, *, session: aiohttp.ClientSession
) -> int:
    """Poll every feed that is due, FEEDS_AT_ONCE at a time; how many articles were added."""
    async with db.read() as conn:
        due = await sources.due_feeds(conn, utcnow())
    gate = asyncio.Semaphore(FEEDS_AT_ONCE)

    async def poll_one(feed: sources.Feed) -> int:
        async with gate:
            try:
                report = await poll_feed(db, feed, settings, session=session)
            except Exception as error:  # a bug or a lost database must not stop the others
                logger.exception("feed %s: poll failed", feed.url)
                await mark_failed(db, feed, settings, f"internal error: {error!r}")
                return 0
        if report.added or report.merged:
            logger.info("feed %s: %s", feed.url, report)
        return report.added

    return sum(await asyncio.gather(*(poll_one(feed) for feed in due)))


async def _seconds_to_next_poll(db: Database) -> float:
    async with db.read() as conn:
        due = await sources.next_due(conn)
    if due is None:
        return MAX_SLEEP
    return min(max((due - utcnow()).total_seconds(), 1.0), MAX_SLEEP)
