"""The ingest pipeline: a Document is cleaned, summarized, classified and fingerprinted once,
then stored as a new article or merged into the one it duplicates, in one transaction.

The CPU work happens before the transaction, so the write lock is held only for a few short
statements; a crash leaves either the whole article or nothing.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.ingest import dedup
from bot.ingest.document import Document, SourceError, plain_text
from bot.storage import articles
from bot.storage.articles import NewArticle, SourceRef
from bot.storage.database import Database
from summarizer import text as nlp

logger = logging.getLogger(__name__)

SUMMARY_SENTENCES = 3
MIN_WORDS = 8
MAX_ANALYZED_CHARS = 100_000
"""Lemmas (search index, fingerprint) come from the body's start: longer than any news story,
and a 5 MB page is then ingested in about a second instead of ten."""
MAX_TITLE_CHARS = 300

Status = Literal["added", "duplicate", "merged", "rejected"]


@dataclass(frozen=True, slots=True)
class IngestResult:
    article_id: int | None
    status: Status
    reason: str | None = None


class Rejected(Exception):
    """The document holds no article; the message says why, in one line."""


def analyze(doc: Document) -> NewArticle:
    """Everything computed from the text, once: title, lead, body, summary, topics, lemmas,
    hash and fingerprint. Raises Rejected for a document that holds no article."""
    from summarizer import clean, summarize
    from summarizer.topics import classify

    given_title = plain_text(doc.title) if doc.title else ""
    page = doc.text
    if given_title and plain_text(doc.text.lstrip().partition("\n")[0]) != given_title:
        page = f"{given_title}\n\n{doc.text}"  # so that clean() sees the title as a title
    article = clean(page)
    body_lemmas = nlp.lemmas(article.body[:MAX_ANALYZED_CHARS])
    if len(body_lemmas) < MIN_WORDS:
        raise Rejected(f"no article text ({len(body_lemmas)} words)")
    title = (given_title or plain_text(article.title) or article.lead)[:MAX_TITLE_CHARS]
    standfirst = "" if article.lead in article.body else article.lead
    summary = summarize(page, sentences=SUMMARY_SENTENCES)
    fingerprint = dedup.fingerprint(body_lemmas)
    url = dedup.canonical_url(doc.url) if doc.url else None
    return NewArticle(
        url=url,
        title=title,
        lead=article.lead,
        body=article.body,
        content_hash=dedup.content_hash(article.body),
        fingerprint=fingerprint,
        bands=dedup.bands(fingerprint),
        published_at=doc.published,
        title_lemmas=articles.index_lemmas(title),
        text_lemmas=articles.join_lemmas(nlp.lemmas(standfirst) + body_lemmas),
        summary=summary.sentences,
        topics=tuple(classify(article.body, title=title, categories=doc.categories)),
        source=SourceRef(
            url=url,
            name=doc.source_name,
            title=title,
            published_at=doc.published,
            categories=doc.categories,
            source_id=doc.source_id,
        ),
    )


async def ingest_document(db: Database, doc: Document) -> IngestResult:
    """Store `doc` as a new article, merge it as another source of the article it duplicates,
    or say why not."""
    try:
        new = analyze(doc)
    except Rejected as error:
        return IngestResult(None, "rejected", str(error))
    try:
        return await _store_in_transaction(db, new)
    except IntegrityError:
        # Another writer stored the same URL or text between our check and our insert (possible
        # on PostgreSQL); in a new transaction the check sees it.
        return await _store_in_transaction(db, new)


async def _store_in_transaction(db: Database, new: NewArticle) -> IngestResult:
    async with db.transaction() as conn:
        return await store(conn, new)


async def store(conn, new: NewArticle) -> IngestResult:
    """Dedup `new` against the archive and store it (on the caller's transaction)."""
    if new.url is not None:
        existing = await articles.find_by_url(conn, new.url)
        if existing is not None:
            return IngestResult(existing, "duplicate", "same URL")
    existing = await articles.find_by_hash(conn, new.content_hash)
    if existing is not None:
        return await _merge(conn, existing, new, "same text")
    for candidate, signature in await articles.band_candidates(conn, new.bands):
        if dedup.similarity(signature, new.fingerprint) >= dedup.SIMILARITY:
            return await _merge(conn, candidate, new, "near-duplicate text")
    return IngestResult(await articles.insert(conn, new), "added")


async def _merge(conn, article_id: int, new: NewArticle, reason: str) -> IngestResult:
    """Another source of a stored story: remembered if it has a URL of its own."""
    if new.url is None or await articles.has_source(conn, article_id, new.url):
        return IngestResult(article_id, "duplicate", reason)
    await articles.add_source(conn, article_id, new.source)
    return IngestResult(article_id, "merged", reason)


@dataclass(slots=True)
class IngestReport:
    """Counts of a batch; `problems` holds one line per item that could not be stored."""

    added: int = 0
    merged: int = 0
    duplicate: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)

    def record(self, label: str, result: IngestResult) -> str | None:
        """Count `result`; the line to show the user if it is a problem."""
        setattr(self, result.status, getattr(self, result.status) + 1)
        if result.status != "rejected":
            return None
        line = f"{label}: {result.reason}"
        self.problems.append(line)
        return line

    def __str__(self) -> str:
        skipped = self.duplicate + self.rejected
        return (
            f"added {self.added}, merged {self.merged}, skipped {skipped} "
            f"({self.duplicate} duplicates, {self.rejected} rejected)"
        )


PROGRESS_MIN_ITEMS = 50


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

    from bot.ingest import files

    say = echo or logger.warning
    urls = [item for item in items if item.startswith(("http://", "https://"))]
    paths = files.expand(Path(item) for item in items if item not in urls)
    if progress is None:
        progress = sys.stderr.isatty() or len(paths) + len(urls) > PROGRESS_MIN_ITEMS
    report = IngestReport()
    with tqdm(
        total=len(paths) + len(urls), unit="file", disable=not progress, file=sys.stderr
    ) as bar:
        for path in paths:
            for label, loaded in files.read_file(path):
                result = await _ingest_loaded(db, loaded)
                _note(report, label, result, say, bar)
            bar.update()
        for url in urls:
            _note(report, url, await fetch_and_ingest_url(db, url, settings), say, bar)
            bar.update()
    return report


def _note(report: IngestReport, label: str, result: IngestResult, say, bar) -> None:
    line = report.record(label, result)
    if line is not None:
        bar.clear()
        say(line)
        bar.refresh()


async def _ingest_loaded(db: Database, loaded: Document | SourceError) -> IngestResult:
    if isinstance(loaded, SourceError):
        return IngestResult(None, "rejected", str(loaded))
    return await ingest_document(db, loaded)


async def fetch_and_ingest_url(db: Database, url: str, settings: Settings) -> IngestResult:
    """Fetch a web page (a user's link or a feed entry's), extract its article and ingest it;
    an already stored URL is not fetched again."""
    from bot.ingest import fetch
    from bot.ingest.web import extract_html

    async with db.read() as conn:
        existing = await articles.find_by_url(conn, dedup.canonical_url(url))
    if existing is not None:
        return IngestResult(existing, "duplicate", "same URL")
    try:
        page = await fetch.fetch_text(url, settings)
        doc = extract_html(page.text, page.url)
    except SourceError as error:
        return IngestResult(None, "rejected", str(error))
    return await ingest_document(db, doc)
