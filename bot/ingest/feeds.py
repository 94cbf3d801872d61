"""RSS and Atom feeds: entries into Documents with feedparser; one poll of one feed."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import aiohttp

from bot.config import Settings
from bot.ingest import dedup, fetch
from bot.ingest.document import Document, SourceError, html_to_text, plain_text
from bot.ingest.pipeline import IngestReport, ingest_documents
from bot.storage import articles, sources
from bot.storage.database import Database
from bot.storage.schema import utcnow
from bot.storage.sources import Feed

logger = logging.getLogger(__name__)

TEASER_WORDS = 60
"""An entry with fewer words than this carries only a teaser: the article is fetched from its
link."""


@dataclass(frozen=True, slots=True)
class Entry:
    document: Document
    teaser: bool


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    entries: list[Entry]


def parse_feed(raw: bytes, *, content_type: str = "", charset: str | None = None) -> ParsedFeed:
    """Entries of an RSS or Atom document, oldest first. SourceError if it is not a feed."""
    import feedparser

    header = f"{content_type or 'application/xml'}; charset={charset}" if charset else content_type
    # Bytes in a stream: feedparser never reads a string as a URL or a file name then.
    parsed = feedparser.parse(io.BytesIO(raw), response_headers={"content-type": header})
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f": {problem}" if problem else ""
        raise SourceError(f"not an RSS or Atom feed{detail}")
    name = plain_text(parsed.feed.get("title", "")) or None
    entries = [_entry(item, name) for item in parsed.entries]
    entries.sort(key=lambda entry: entry.document.published or datetime.max.replace(tzinfo=UTC))
    return ParsedFeed(title=name, entries=entries)


def _entry(item, feed_title: str | None) -> Entry:
    contents = [part.get("value", "") for part in item.get("content", [])]
    html = max(contents, key=len) if contents else item.get("summary", "")
    text = html_to_text(html)
    stamp = item.get("published_parsed") or item.get("updated_parsed")
    document = Document(
        text=text,
        title=item.get("title") or None,
        url=item.get("link") or None,
        published=datetime(*stamp[:6], tzinfo=UTC) if stamp else None,
        source_name=feed_title,
        categories=tuple(tag["term"] for tag in item.get("tags", []) if tag.get("term")),
    )
    return Entry(document, teaser=len(text.split()) < TEASER_WORDS)


async def poll_feed(
    db: Database, feed: Feed, settings: Settings, *, session: aiohttp.ClientSession
) -> IngestReport:
    """Fetch one feed (conditional GET) and ingest its new entries; the feed's polling state
    records the success, or the failure with its backoff. Never raises for a bad feed."""
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
        parsed = (
            None
            if response.status == 304
            else parse_feed(
                response.body, content_type=response.content_type, charset=response.charset
            )
        )
    except SourceError as error:
        await mark_failed(db, feed, settings, str(error))
        report.problems.append(f"{feed.url}: {error}")
        return report
    docs = [
        replace(doc, source_id=feed.id, source_name=doc.source_name or feed.title)
        for doc in await new_documents(db, parsed.entries if parsed else [], settings, session)
    ]
    for doc, result in zip(docs, await ingest_documents(db, docs), strict=True):
        line = report.record(doc.url or feed.url, result)
        if line:
            logger.info("feed %s: %s", feed.url, line)
    async with db.transaction() as conn:
        await sources.record_success(
            conn,
            feed,
            now,
            etag=response.etag or feed.etag,
            last_modified=response.last_modified or feed.last_modified,
            title=parsed.title if parsed else None,
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


async def new_documents(
    db: Database, entries: list[Entry], settings: Settings, session: aiohttp.ClientSession
) -> list[Document]:
    """Documents of the entries whose link is not in the archive yet (those seen in earlier
    polls are not fetched or analyzed again), teasers completed from their links."""
    async with db.read() as conn:
        fresh = [
            entry
            for entry in entries
            if not entry.document.url
            or await articles.find_by_url(conn, dedup.canonical_url(entry.document.url)) is None
        ]
    return [await _complete(entry, settings, session) for entry in fresh]


async def _complete(entry: Entry, settings: Settings, session: aiohttp.ClientSession) -> Document:
    if entry.teaser and entry.document.url:
        return await _with_full_text(entry.document, settings, session)
    return entry.document


async def _with_full_text(
    doc: Document, settings: Settings, session: aiohttp.ClientSession
) -> Document:
    """The entry with the article text of its page; the teaser itself if that fails."""
    from bot.ingest.web import extract_html

    try:
        page = await fetch.fetch_text(doc.url, settings, session=session)
        full = extract_html(page.text, page.url)
    except SourceError as error:
        logger.info("%s: full text not fetched (%s); keeping the teaser", doc.url, error)
        return doc
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
    logger.warning("feed %s: %s (next try at %s)", feed.url, reason, f"{retry:%H:%M} UTC")
