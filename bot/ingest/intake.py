"""Intake: what `svodka ingest`, /add and the demo hand the pipeline. Files, folders, web
pages, one-off reads of feeds and public channels become documents for the pipeline core
(bot/ingest/pipeline.py), which does not know where a document came from."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.config import Settings
from bot.ingest import dedup
from bot.ingest.document import Document, SourceError
from bot.ingest.offload import INLINE, Offload
from bot.ingest.pipeline import IngestReport, IngestResult, ingest_document, ingest_documents
from bot.storage import articles
from bot.storage.database import Database

logger = logging.getLogger(__name__)

PROGRESS_MIN_ITEMS = 50
BATCH_SIZE = 256  # documents per transaction when ingesting files (fewer, larger writes)
BATCH_CHARS = 8_000_000  # ... or fewer, when they are big


async def ingest_paths_or_urls(
    db: Database,
    items: Sequence[str],
    settings: Settings,
    *,
    echo: Callable[[str], None] | None = None,
    progress: bool | None = None,
) -> IngestReport:
    """Ingest files, folders and URLs in any mix. Each problem becomes one line passed to
    `echo` (logged by default) and the batch goes on. A progress bar is shown on stderr when
    it is a terminal or the batch is long, unless `progress` says otherwise."""
    from tqdm import tqdm

    from bot.channel_refs import is_channel_ref
    from bot.ingest import files
    from bot.ingest.channels import ingest_channel

    say = echo or logger.warning
    channels = [item for item in items if is_channel_ref(item)]
    urls = [item for item in items if item.startswith(("http://", "https://"))]
    urls = [item for item in urls if item not in channels]
    paths = files.expand(Path(item) for item in items if item not in urls + channels)
    if progress is None:
        progress = sys.stderr.isatty() or len(paths) + len(urls) > PROGRESS_MIN_ITEMS
    report = IngestReport()
    pending: list[tuple[str, Document]] = []
    pending_chars = 0

    def note(label: str, result: IngestResult) -> None:
        line = report.record(label, result)
        if line is not None:
            bar.clear()
            say(line)
            bar.refresh()

    async def flush() -> None:
        nonlocal pending_chars
        results = await ingest_documents(db, [doc for _, doc in pending])
        for (label, _), result in zip(pending, results, strict=True):
            note(label, result)
        pending.clear()
        pending_chars = 0

    with tqdm(
        total=len(paths) + len(urls) + len(channels),
        unit="file",
        disable=not progress,
        file=sys.stderr,
    ) as bar:
        for path in paths:
            for label, loaded in files.read_file(path):
                if isinstance(loaded, SourceError):
                    note(label, IngestResult(None, "rejected", str(loaded)))
                    continue
                pending.append((label, loaded))
                pending_chars += len(loaded.text)
                if len(pending) >= BATCH_SIZE or pending_chars >= BATCH_CHARS:
                    await flush()
            bar.update()
        await flush()
        for url in urls:
            for label, result in await ingest_url(db, url, settings):
                note(label, result)
            bar.update()
        for channel in channels:
            for label, result in await ingest_channel(db, channel, settings):
                note(label, result)
            bar.update()
    return report


async def fetch_and_ingest_url(
    db: Database, url: str, settings: Settings, offload: Offload = INLINE
) -> IngestResult:
    """Fetch a web page (a user's link), extract its article and ingest it; an already stored
    URL is not fetched again."""
    from bot.ingest import fetch
    from bot.ingest.web import extract_page

    known = await _stored_url(db, url)
    if known is not None:
        return known
    try:
        doc = await offload.run(extract_page, await fetch.fetch_text(url, settings))
    except SourceError as error:
        return IngestResult(None, "rejected", str(error))
    return await ingest_document(db, doc, offload)


async def ingest_url(db: Database, url: str, settings: Settings) -> list[tuple[str, IngestResult]]:
    """`svodka ingest URL`: a web page becomes an article, an RSS or Atom feed one article
    per new entry (read once; `svodka feeds add` polls it). Each result with its label."""
    from bot.ingest import feeds, fetch
    from bot.ingest.web import extract_page

    known = await _stored_url(db, url)
    if known is not None:
        return [(url, known)]
    try:
        async with fetch.open_session(settings) as session:
            response = await fetch.fetch(url, settings, session=session)
            if feeds.is_feed(response):
                parsed = feeds.parse_feed(
                    response.body, content_type=response.content_type, charset=response.charset
                )
                docs = (await feeds.new_documents(db, parsed.entries, settings, session)).documents
                results = await ingest_documents(db, docs)
                seen = {doc.url for doc in docs}
                return [
                    (entry.document.url or url, IngestResult(None, "duplicate", "same URL"))
                    for entry in parsed.entries
                    if entry.document.url not in seen
                ] + [(doc.url or url, result) for doc, result in zip(docs, results, strict=True)]
            doc = extract_page(fetch.require_page(response))
    except SourceError as error:
        return [(url, IngestResult(None, "rejected", str(error)))]
    return [(url, await ingest_document(db, doc))]


async def _stored_url(db: Database, url: str) -> IngestResult | None:
    async with db.read() as conn:
        existing = await articles.find_by_url(conn, dedup.canonical_url(url))
    return None if existing is None else IngestResult(existing, "duplicate", "same URL")
