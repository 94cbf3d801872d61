"""RSS and Atom feeds: entries into Documents with feedparser; one poll of one feed."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import aiohttp

from bot import metrics
from bot.config import Settings
from bot.ingest import dedup, fetch
from bot.ingest.document import Document, SourceError, html_to_text, plain_text
from bot.ingest.offload import INLINE, Offload, time_budget
from bot.ingest.pipeline import IngestReport, ingest_documents
from bot.storage import articles, sources
from bot.storage.database import Database
from bot.storage.schema import utcnow
from bot.storage.sources import Feed
from bot.untrusted import web_link

logger = logging.getLogger(__name__)

TEASER_WORDS = 60
"""An entry with fewer words than this carries only a teaser: the article is fetched from its
link."""


@dataclass(frozen=True, slots=True)
class Entry:
    document: Document
    teaser: bool
    link: str | None = None  # the page with the full text, when not the document's own URL


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    entries: list[Entry]
    total: int  # entries in the feed, read or not
    link: str | None = None  # the site the feed belongs to


FEED_BUDGET = 30.0
"""Seconds one feed may take to parse: a 5 MB feed of 94,000 tiny items takes about six on a
slow machine."""
PAGES_AT_ONCE = 3
PAGES_BUDGET = 3
"""Item pages of one poll are fetched PAGES_AT_ONCE at a time, for at most this many fetch
timeouts altogether; the entries whose page is not in by then keep their teaser."""


def parse_feed(
    raw: bytes, *, content_type: str = "", charset: str | None = None, newest: int | None = None
) -> ParsedFeed:
    """Entries of an RSS or Atom document, oldest first, the `newest` ones only if given.
    SourceError if it is not a feed or takes longer than FEED_BUDGET to read."""
    import feedparser

    header = f"{content_type or 'application/xml'}; charset={charset}" if charset else content_type
    with time_budget(FEED_BUDGET):
        # Bytes in a stream: feedparser never reads a string as a URL or a file name then.
        parsed = feedparser.parse(io.BytesIO(raw), response_headers={"content-type": header})
        if not parsed.get("version") and not parsed.entries:
            problem = parsed.get("bozo_exception")
            detail = f": {problem}" if problem else ""
            raise SourceError(f"not an RSS or Atom feed{detail}")
        name = plain_text(parsed.feed.get("title", "")) or None
        items = _newest_last(parsed.entries)[-newest:] if newest else _newest_last(parsed.entries)
        entries = [_entry(item, name) for item in items]
    link = web_link(parsed.feed.get("link"))
    return ParsedFeed(title=name, entries=entries, total=len(parsed.entries), link=link)


def _newest_last(items: list) -> list:
    """Items by publication time; undated ones count as newest, in the feed's order, which
    lists the newest first."""
    latest = (datetime.max,)
    order = [
        (tuple(item.get("published_parsed") or item.get("updated_parsed") or latest), -index)
        for index, item in enumerate(items)
    ]
    return [items[index] for index in sorted(range(len(items)), key=order.__getitem__)]


def _entry(item, feed_title: str | None) -> Entry:
    contents = [part.get("value", "") for part in item.get("content", [])]
    html = max(contents, key=len) if contents else item.get("summary", "")
    text = html_to_text(html)
    stamp = item.get("published_parsed") or item.get("updated_parsed")
    document = Document(
        text=text,
        title=item.get("title") or None,
        url=web_link(item.get("link")),
        published=datetime(*stamp[:6]).replace(tzinfo=UTC) if stamp else None,
        source_name=feed_title,
        categories=tuple(tag["term"] for tag in item.get("tags", []) if tag.get("term")),
    )
    return Entry(document, teaser=len(text.split()) < TEASER_WORDS)


async def poll_feed(
    db: Database,
    feed: Feed,
    settings: Settings,
    *,
    session: aiohttp.ClientSession,
    offload: Offload = INLINE,
) -> IngestReport:
    """Fetch one feed (conditional GET) and ingest its new entries; the feed's polling state
    records the success, or the failure with its backoff. A feed whose body is the same as
    last time is not parsed again. Never raises for a bad feed."""
    report = IngestReport()
    now = utcnow()
    try:
        response = await fetch.fetch(
            feed.url,
            settings,
            session=session,
            etag=feed.etag,
            last_modified=feed.last_modified,
        )
        body_hash = hashlib.sha256(response.body).hexdigest() if response.status != 304 else None
        parsed = None
        if body_hash not in (None, feed.body_hash):
            read = functools.partial(
                parse_feed,
                content_type=response.content_type,
                charset=response.charset,
                newest=settings.feed_max_entries,
            )
            parsed = await offload.run(read, response.body)
    except SourceError as error:
        await mark_failed(db, feed, settings, str(error))
        report.problems.append(f"{feed.url}: {error}")
        return report
    found = await new_documents(db, parsed.entries if parsed else [], settings, session, offload)
    docs = [
        replace(doc, source_id=feed.id, source_name=doc.source_name or feed.title)
        for doc in found.documents
    ]
    for doc, result in zip(docs, await ingest_documents(db, docs, offload), strict=True):
        report.record(doc.url or feed.url, result)
    report.teasers_kept = found.teasers_kept
    async with db.transaction() as conn:
        await sources.record_success(
            conn,
            feed,
            now,
            etag=response.etag or feed.etag,
            last_modified=response.last_modified or feed.last_modified,
            title=parsed.title if parsed else None,
            body_hash=body_hash or feed.body_hash,
            site_url=parsed.link if parsed else None,
        )
    return report


FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
_FEED_ROOTS = (b"<rss", b"<feed", b"<rdf:RDF")


def is_feed(response: fetch.Response) -> bool:
    """Whether a fetched resource is an RSS or Atom feed rather than a web page."""
    if response.content_type in FEED_TYPES:
        return True
    head = response.body[:1024].lstrip()
    return head.startswith(b"<?xml") and any(root in head for root in _FEED_ROOTS)


@dataclass(frozen=True, slots=True)
class NewDocuments:
    documents: list[Document]
    teasers_kept: int  # entries whose page could not be fetched or read in time


async def new_documents(
    db: Database,
    entries: list[Entry],
    settings: Settings,
    session: aiohttp.ClientSession,
    offload: Offload = INLINE,
) -> NewDocuments:
    """Documents of the entries whose link is not in the archive yet (those seen in earlier
    polls are not fetched or analyzed again), teasers completed from their links: PAGES_AT_ONCE
    pages at a time, within PAGES_BUDGET fetch timeouts."""
    async with db.read() as conn:
        fresh = [
            entry
            for entry in entries
            if not entry.document.url
            or await articles.find_by_url(conn, dedup.canonical_url(entry.document.url)) is None
        ]
    gate = asyncio.Semaphore(PAGES_AT_ONCE)

    async def full_text(entry: Entry) -> Document | None:
        async with gate:
            return await _with_full_text(entry, settings, session, offload)

    teasers = {
        index: asyncio.create_task(full_text(entry))
        for index, entry in enumerate(fresh)
        if entry.teaser and (entry.link or entry.document.url)
    }
    done: set[asyncio.Task] = set()
    if teasers:
        done, late = await asyncio.wait(
            teasers.values(), timeout=PAGES_BUDGET * settings.fetch_timeout
        )
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
    documents = [entry.document for entry in fresh]
    kept = 0
    for index, task in teasers.items():
        full = task.result() if task in done else None
        if full is None:
            kept += 1
        else:
            documents[index] = full
    return NewDocuments(documents, kept)


async def _with_full_text(
    entry: Entry, settings: Settings, session: aiohttp.ClientSession, offload: Offload
) -> Document | None:
    """The entry with the article text of its page; None if that cannot be had."""
    from bot.ingest.web import extract_page

    doc = entry.document
    page_url = entry.link or doc.url
    assert page_url is not None  # teasers without a page are not sent here
    try:
        page = await fetch.fetch_text(page_url, settings, session=session)
        full = await offload.run(extract_page, page)
    except SourceError as error:
        logger.debug("%s: full text not fetched (%s); keeping the teaser", page_url, error)
        return None
    return replace(
        doc,
        text=full.text,
        title=doc.title or full.title,
        published=doc.published or full.published,
        categories=doc.categories + full.categories,
    )


async def mark_failed(db: Database, feed: Feed, settings: Settings, reason: str) -> None:
    """Record a failed poll; the feed is backed off."""
    async with db.transaction() as conn:
        retry = await sources.record_failure(
            conn, feed, utcnow(), error=reason, max_backoff=settings.feed_max_backoff
        )
    metrics.feed_failed(feed.id)
    logger.warning(
        "feed %s: %s (next try at %s)",
        feed.url,
        reason,
        f"{retry:%H:%M} UTC",
        extra={"feed": feed.id},
    )
