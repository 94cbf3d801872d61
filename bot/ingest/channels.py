"""Public Telegram channels read from their web preview (`{SVODKA_TELEGRAM_WEB}/s/<name>`),
politely: the whole bot (every poller of every process on the database) sends one request at a
time to that host, at least SVODKA_TELEGRAM_WEB_SPACING seconds apart, and a 429 rests the host
for its Retry-After. A ban of the bot's address would stop every channel at once.

A channel's first poll reads its newest page; later polls page back with `?before=<id>` until
the newest message read before, at most MAX_PAGES pages. Posts then go the way feed entries go
(teasers completed from their link, the archive's dedup, the pipeline).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiohttp

from bot.channel_refs import NotAChannel, channel_name
from bot.config import Settings
from bot.ingest import fetch
from bot.ingest.channel_page import ChannelPage, NoPreview, before_url, is_preview_url, read_page
from bot.ingest.channel_posts import Post, post_entry
from bot.ingest.document import SourceError
from bot.ingest.feeds import Entry, mark_failed, new_documents
from bot.ingest.offload import INLINE, Offload
from bot.ingest.pipeline import IngestReport, IngestResult, ingest_documents
from bot.storage import host_turns, sources
from bot.storage.database import Database
from bot.storage.schema import utcnow
from bot.storage.sources import Feed

logger = logging.getLogger(__name__)

MAX_PAGES = 3  # pages one poll reads, paging back to the newest message read before
RETRY_AFTER_DEFAULT = 60.0  # seconds the host rests after a 429 without a usable Retry-After
RETRY_AFTER_MAX = 900.0  # longest rest a 429 may ask for
TURN_WAIT_MAX = 60.0
"""Longest a poll waits for its turn at the host before giving up (and backing off): a
poller's pass stays within what the poller's watchdog allows (poller.poll_feeds_forever)."""
TURN_POLL = 0.05  # shortest wait between looks at the turn
TURN_CHECK = 0.25
"""Longest wait between looks at the turn: a held turn is reserved for the longest its request
may take, but handed back as soon as the answer is in."""


@dataclass(frozen=True, slots=True)
class NewPosts:
    title: str | None
    posts: list[Post]
    newest_id: int | None  # the newest message id seen, with text or not


async def poll_channel(
    db: Database,
    feed: Feed,
    settings: Settings,
    *,
    session: aiohttp.ClientSession,
    offload: Offload = INLINE,
) -> IngestReport:
    """Read a channel source's new posts and ingest them; the source's polling state records
    the success, or the failure with its backoff (a closed preview is one). Never raises for
    a bad page."""
    report = IngestReport()
    now = utcnow()
    try:
        name = channel_name(feed.url)
        read = await read_new_posts(db, name, feed.last_post_id, settings, session, offload)
    except SourceError as error:
        await mark_failed(db, feed, settings, str(error))
        report.problems.append(f"{feed.url}: {error}")
        return report
    for doc, result in await ingest_posts(db, read.posts, feed, settings, session, offload):
        report.record(doc, result)
    async with db.transaction() as conn:
        await sources.record_success(
            conn,
            feed,
            now,
            etag=None,
            last_modified=None,
            title=read.title,
            body_hash=None,
            last_post_id=read.newest_id,
        )
    return report


async def ingest_channel(
    db: Database, ref: str, settings: Settings, offload: Offload = INLINE
) -> list[tuple[str, IngestResult]]:
    """`svodka ingest @name`: the channel's newest page read once; each result with its label."""
    try:
        name = channel_name(ref)
        async with fetch.open_session(settings) as session:
            read = await read_new_posts(db, name, None, settings, session, offload)
            return await ingest_posts(db, read.posts, None, settings, session, offload)
    except (SourceError, NotAChannel) as error:
        return [(ref, IngestResult(None, "rejected", str(error)))]


async def ingest_posts(
    db: Database,
    posts: list[Post],
    feed: Feed | None,
    settings: Settings,
    session: aiohttp.ClientSession,
    offload: Offload,
) -> list[tuple[str, IngestResult]]:
    """Posts however read (a web preview, an administered channel's updates) into the archive
    as `feed`'s: those stored already skipped, teasers completed from their links."""
    entries = await offload.run(post_entries, posts)  # cleaning: off the event loop
    found = await new_documents(db, entries, settings, session, offload)
    docs = [replace(doc, source_id=feed.id if feed else None) for doc in found.documents]
    results = await ingest_documents(db, docs, offload)
    return [(doc.url or "", result) for doc, result in zip(docs, results, strict=True)]


def post_entries(posts: list[Post]) -> list[Entry]:
    """The posts with text left after cleaning, as feed entries (about 6 ms for a 4 KB post)."""
    return [entry for entry in map(post_entry, posts) if entry is not None]


async def read_new_posts(
    db: Database,
    name: str,
    last_id: int | None,
    settings: Settings,
    session: aiohttp.ClientSession,
    offload: Offload,
) -> NewPosts:
    """The channel's posts newer than `last_id` (the newest page only if None), oldest first,
    at most SVODKA_FEED_MAX_ENTRIES of them from at most MAX_PAGES pages."""
    found: dict[int, Post] = {}
    title = newest = before = None
    for _ in range(MAX_PAGES):
        page = await _read_page(db, name, before, settings, session, offload)
        title = title or page.title
        found.update(zip(page.ids, page.posts, strict=True))
        newest = max([newest or 0, *page.seen[-1:]]) or None
        if last_id is None or not page.seen or page.seen[0] <= last_id + 1 or not page.older:
            break
        before = page.seen[0]
    ids = sorted(i for i in found if last_id is None or i > last_id)
    kept = ids[-settings.feed_max_entries :]
    return NewPosts(title, [found[i] for i in kept], newest)


async def _read_page(
    db: Database,
    name: str,
    before: int | None,
    settings: Settings,
    session: aiohttp.ClientSession,
    offload: Offload,
) -> ChannelPage:
    url = before_url(settings.telegram_web, name, before)
    response = await polite_fetch(db, url, settings, session)
    if not is_preview_url(response.url, name):
        raise NoPreview  # a closed preview redirects to the channel's page
    read = functools.partial(read_page, name=name, newest=settings.feed_max_entries)
    return await offload.run(read, response.body)


async def polite_fetch(
    db: Database, url: str, settings: Settings, session: aiohttp.ClientSession
) -> fetch.Response:
    """GET `url` in the host's turn (see bot/storage/host_turns.py)."""
    host = urlsplit(url).netloc.lower()
    hold = timedelta(seconds=settings.fetch_timeout * (fetch.MAX_REDIRECTS + 1))
    held_until = await _wait_for_turn(db, host, hold)
    rest = settings.telegram_web_spacing
    try:
        return await fetch.fetch(url, settings, session=session)
    except fetch.HttpError as error:
        if error.status == 429:
            rest = max(rest, min(error.retry_after or RETRY_AFTER_DEFAULT, RETRY_AFTER_MAX))
            raise SourceError(f"HTTP 429: Telegram asks to wait {rest:g} s") from None
        raise
    finally:
        async with db.transaction() as conn:
            await host_turns.give_back(conn, host, held_until, timedelta(seconds=rest))


async def _wait_for_turn(db: Database, host: str, hold: timedelta) -> datetime:
    """Wait until this poller holds the host's turn; when the turn ends at the latest.
    SourceError after TURN_WAIT_MAX seconds of waiting (the host is that busy or resting)."""
    waited = 0.0
    while True:
        async with db.transaction() as conn:
            held_until, wait = await host_turns.try_take(conn, host, hold)
        if held_until is not None:
            return held_until
        wait = min(max(wait, TURN_POLL), TURN_CHECK)
        if waited + wait > TURN_WAIT_MAX:
            raise SourceError(f"{host} busy: no turn within {TURN_WAIT_MAX:g} s")
        await asyncio.sleep(wait)
        waited += wait
