"""The ingest pipeline: a Document is cleaned and keyed for dedup, then stored as a new article
(summarized and classified once) or merged into the one it duplicates.

Documents go in batches (one document is a batch of one). A read transaction looks the whole
batch up in the archive with three queries; only the stories found new are summarized and
classified, and one short write transaction stores them with a few multi-row inserts. A crash
leaves whole articles or none: never half of one.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import metrics
from bot.ingest import additions, dedup, stories
from bot.ingest.document import Document, SourceError, plain_text
from bot.ingest.offload import INLINE, Offload, time_budget
from bot.ingest.stories import StoryIndex  # Plan.stories hides the module in Plan
from bot.storage import articles
from bot.storage import stories as stored_stories
from bot.storage.articles import NewArticle, SourceRef
from bot.storage.database import Database
from bot.untrusted import web_link, without_controls

if TYPE_CHECKING:
    from summarizer import Article
    from summarizer.stories import Profile

logger = logging.getLogger(__name__)

SUMMARY_SENTENCES = 3
LONG_SUMMARY_SENTENCES = 5  # also stored, for readers who chose «подробно» (method "long")
MIN_WORDS = 8
MAX_ANALYZED_CHARS = 100_000
"""Lemmas (search index, fingerprint) come from the body's start: longer than any news story,
and a 5 MB page is then ingested in about a second instead of ten."""
MAX_TITLE_CHARS = 300
DOCUMENT_BUDGET = 10.0
"""Seconds one document may take to clean, summarize and classify (a 5 MB article takes
about one); a document built to take longer is rejected."""

Status = Literal["added", "duplicate", "merged", "rejected"]


@dataclass(frozen=True, slots=True)
class IngestResult:
    article_id: int | None
    status: Status
    reason: str | None = None


class Rejected(Exception):
    """The document holds no article; the message says why, in one line."""


@dataclass(slots=True)
class Draft:
    """A document cleaned and keyed for dedup; `complete` adds what only a new story needs."""

    article: Article
    new: NewArticle
    title_lemmas: list[str]
    body_lemmas: list[str]
    profile: Profile  # what story assignment compares
    completed: NewArticle | None = None
    completed_in: float | None = None  # seconds summarizing and classifying took (/metrics)

    def member(self) -> stories.Member:
        """The article as story assignment sees it."""
        return stories.member(self.profile, self.new.published_at)

    def complete(self) -> NewArticle:
        """The article with its summary and topics (computed once)."""
        from summarizer import summarize
        from summarizer.topics import classify_lemmas

        if self.completed is None:
            new = self.new
            started = time.perf_counter()
            # Two selections, not the first sentences of one: each reads as text on its own.
            summary = summarize(self.article, sentences=SUMMARY_SENTENCES)
            long_summary = summarize(self.article, sentences=LONG_SUMMARY_SENTENCES)
            topics = classify_lemmas(
                self.title_lemmas, self.body_lemmas, categories=new.source.categories
            )
            self.completed = replace(
                new,
                summary=summary.sentences,
                long_summary=long_summary.sentences,
                topics=tuple(topics),
            )
            self.completed_in = time.perf_counter() - started
        return self.completed


def prepare(doc: Document) -> Draft:
    """Clean `doc` and compute its title, lemmas, hash and fingerprint. Raises Rejected for a
    document that holds no article."""
    from summarizer import clean
    from summarizer.stories import profile_from_lemmas
    from summarizer.text import lemmas

    given_title = plain_text(doc.title) if doc.title else ""
    page = without_controls(doc.text)
    if given_title and plain_text(page.lstrip().partition("\n")[0]) != given_title:
        page = f"{given_title}\n\n{page}"  # so that clean() sees the title as a title
    article = clean(page)
    body_lemmas = lemmas(article.body[:MAX_ANALYZED_CHARS])
    if len(body_lemmas) < MIN_WORDS:
        raise Rejected(f"no article text ({len(body_lemmas)} words)")
    title = (given_title or plain_text(article.title) or article.lead)[:MAX_TITLE_CHARS]
    title_lemmas = lemmas(title)
    standfirst = "" if article.lead in article.body else article.lead
    text_lemmas = lemmas(standfirst) + body_lemmas
    fingerprint = dedup.fingerprint(body_lemmas)
    link = web_link(doc.url)
    url = dedup.canonical_url(link) if link else None
    new = NewArticle(
        url=url,
        title=title,
        lead=article.lead,
        body=article.body,
        content_hash=dedup.content_hash(article.body),
        fingerprint=fingerprint,
        bands=dedup.bands(fingerprint),
        published_at=doc.published,
        title_lemmas=articles.join_lemmas(title_lemmas),
        text_lemmas=articles.join_lemmas(text_lemmas),
        source=SourceRef(
            url=url,
            name=plain_text(doc.source_name) if doc.source_name else None,
            title=title,
            published_at=doc.published,
            categories=tuple(filter(None, map(plain_text, doc.categories))),
            source_id=doc.source_id,
        ),
    )
    # As from the stored lemmas (bot/storage/stories.py): the same profile either way.
    profile = profile_from_lemmas(title_lemmas, text_lemmas)
    return Draft(article, new, title_lemmas, body_lemmas, profile)


def prepare_all(docs: Sequence[Document], *, complete: bool) -> list[Draft | IngestResult]:
    """`prepare` each document within DOCUMENT_BUDGET, summarized and classified too if
    `complete` (in a worker process: the draft comes back with everything computed); the
    draft, or why the document was rejected."""
    prepared: list[Draft | IngestResult] = []
    for doc in docs:
        try:
            with time_budget(DOCUMENT_BUDGET):
                draft = prepare(doc)
                if complete:
                    draft.complete()
            prepared.append(draft)
        except (Rejected, SourceError) as error:
            prepared.append(IngestResult(None, "rejected", str(error)))
        except Exception as error:  # a bug one crafted item finds must not lose the others
            logger.warning("document %r not prepared: %r", doc.url, error)
            prepared.append(IngestResult(None, "rejected", f"internal error: {error!r}"))
    return prepared


async def ingest_document(db: Database, doc: Document, offload: Offload = INLINE) -> IngestResult:
    """Store `doc` as a new article, merge it as another source of the article it duplicates,
    or say why not."""
    [result] = await ingest_documents(db, [doc], offload)
    return result


async def ingest_documents(
    db: Database, docs: Sequence[Document], offload: Offload = INLINE
) -> list[IngestResult]:
    """Ingest a batch of documents; one result per document, in order. Cleaning, summaries
    and topics are computed by `offload`: in place, stories found already stored are not
    summarized; in a worker process, every document is summarized in the one round trip."""
    prepared = await offload.run(
        functools.partial(prepare_all, complete=offload.remote), list(docs)
    )
    drafts = [item for item in prepared if isinstance(item, Draft)]
    stored = iter(await _store(db, drafts) if drafts else [])
    results = [item if isinstance(item, IngestResult) else next(stored) for item in prepared]
    metrics.ingested([doc.source_id for doc in docs], [result.status for result in results])
    metrics.summarized([draft.completed_in for draft in drafts if draft.completed_in is not None])
    return results


async def _store(db: Database, drafts: list[Draft]) -> list[IngestResult]:
    async with db.read() as conn:
        known = await articles.lookup(conn, [draft.new for draft in drafts])
    plan = Plan.make(drafts, known)
    if plan.fresh:
        # Topic rows first, committed on their own: created inside the article's transaction,
        # a new topic would hold back every other writer storing an article about it until
        # that transaction ended (PostgreSQL waits on an uncommitted conflicting row).
        async with db.transaction() as conn:
            await articles.ensure_topics(conn, {slug for new in plan.fresh for slug in new.topics})
    cache = stories.profile_cache(db)
    try:
        async with db.read() as conn:
            index = await stories.StoryIndex.load(conn, plan.members, cache)
        async with db.transaction() as conn:
            results = await plan.carry_out(conn, index)
    except IntegrityError:
        # Another writer stored the same URL or text since the lookup; inside the write
        # transaction the lookup sees it.
        async with db.transaction() as conn:
            known = await articles.lookup(conn, [draft.new for draft in drafts])
            plan = Plan.make(drafts, known)
            index = await stories.StoryIndex.load(conn, plan.members, cache)
            results = await plan.carry_out(conn, index)
    stories.remember(cache, plan.stories, plan.members)
    return results


@dataclass(slots=True)
class Plan:
    """What to do with each draft of a batch, deduplicated against the archive and against
    each other: add it (summarized and classified), merge it as a source, or skip it."""

    fresh: list[NewArticle] = field(default_factory=list)
    members: list[stories.Member] = field(default_factory=list)  # the fresh ones, for stories
    stories: list[stored_stories.Joined] = field(default_factory=list)  # once carried out
    merges: list[tuple[int, SourceRef]] = field(default_factory=list)
    # (article id, or -n for the n-th fresh article until it has an id; status; reason)
    outcomes: list[tuple[int, Status, str | None]] = field(default_factory=list)

    @classmethod
    def make(cls, drafts: Sequence[Draft], known: articles.KnownArticles) -> Plan:
        plan = cls()
        for draft in drafts:
            new = draft.new
            match = duplicate_of(new, known)
            if match is None:
                plan.fresh.append(draft.complete())
                plan.members.append(draft.member())
                provisional = -len(plan.fresh)
                known.remember(new, provisional)
                plan.outcomes.append((provisional, "added", None))
            elif new.url and match[1] != "same URL":
                plan.merges.append((match[0], new.source))
                known.by_url[new.url] = match[0]
                plan.outcomes.append((match[0], "merged", match[1]))
            else:
                plan.outcomes.append((match[0], "duplicate", match[1]))
        return plan

    async def carry_out(self, conn: AsyncConnection, index: StoryIndex) -> list[IngestResult]:
        """Store the plan on the caller's transaction, each new article in the story `index`
        finds for it; the result of each draft."""
        refs = index.assign(self.members)
        ids = await articles.insert_many(conn, self.fresh)
        self.stories = stories.joined(ids, self.members, refs, index.keyless)
        await stored_stories.record(conn, self.stories)
        await additions.add_to_stories(conn, self.stories)
        merges = [(stories.resolved(ref, ids), source) for ref, source in self.merges]
        await articles.add_sources(conn, merges)
        return [
            IngestResult(stories.resolved(ref, ids), status, reason)
            for ref, status, reason in self.outcomes
        ]


def duplicate_of(new: NewArticle, known: articles.KnownArticles) -> tuple[int, str] | None:
    """The article `new` duplicates, and why: same canonical URL, same text, or a fingerprint
    close enough in a shared LSH band."""
    if new.url and new.url in known.by_url:
        return known.by_url[new.url], "same URL"
    if new.content_hash in known.by_hash:
        return known.by_hash[new.content_hash], "same text"
    if new.fingerprint is None:  # too short to compare, so it has no bands either
        return None
    for band in new.bands:
        for candidate, signature in known.by_band.get(band, ()):
            if signature and dedup.similarity(signature, new.fingerprint) >= dedup.SIMILARITY:
                return candidate, "near-duplicate text"
    return None


@dataclass(slots=True)
class IngestReport:
    """Counts of a batch; `problems` holds one line per item that could not be stored."""

    added: int = 0
    merged: int = 0
    duplicate: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    teasers_kept: int = 0  # feed entries stored with their teaser: the page was not to be had

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
        teasers = f", {self.teasers_kept} pages not fetched" if self.teasers_kept else ""
        return (
            f"added {self.added}, merged {self.merged}, skipped {skipped} "
            f"({self.duplicate} duplicates, {self.rejected} rejected){teasers}"
        )
