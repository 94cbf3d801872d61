"""Articles: storing a new one, merging a source into an existing one, and the queries the bot
and delivery use. Every function takes a connection and never commits: the caller owns the
transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import String, bindparam, cast, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.adverts import is_advert
from bot.storage import dialect
from bot.storage.bulk import insert_rows
from bot.storage.database import Database
from bot.storage.schema import (
    article_bands,
    article_sources,
    article_topics,
    articles,
    push_queue,
    summaries,
    utcnow,
)
from bot.storage.schema import topics as topics_table
from summarizer import text as nlp

SUMMARY_METHOD = "default"
"""The summary shown to readers; others may be stored next to it under their method names."""
LONG_METHOD = "long"
"""The longer summary (5 sentences) readers who chose «подробно» see, where it is longer."""

MAX_INDEX_LEMMAS = 20_000
"""Lemmas indexed per article: enough for any news text, and under PostgreSQL's tsvector
limits (1 MB, positions up to 16383) for a 5 MB page."""

STORY_READ = 3  # articles read per story wanted: a story told by several outlets is shown once

NEWEST = 2**31 - 1  # the greatest article id (INTEGER), for "before nothing"

# PostgreSQL advisory lock: held shared by every transaction that stores articles, taken
# exclusively for an instant by settled_until(). The key is "Svod" in ASCII, with the hash of
# the schema, so that deployments (or test runs) sharing one database keep out of each other.
INGEST_LOCK = 0x53766F64


@dataclass(frozen=True, slots=True)
class ArticleView:
    """An article as the bot shows it. `topics` are slugs, the main one first."""

    id: int
    url: str | None
    title: str
    lead: str
    summary: str
    topics: list[str]
    source_name: str | None
    published_at: datetime | None
    ingested_at: datetime
    summary_sentences: tuple[str, ...] = ()
    story_id: int | None = None
    # Told as a story (bot/storage/stories.py, one_per_story): every outlet that reported it,
    # and the publication time of its newest article.
    sources: tuple[SourceLink, ...] = ()
    story_last_at: datetime | None = None
    addition: Addition | None = None  # what another outlet adds (bot/storage/additions.py)
    advert: bool = False  # marked as advertising (bot/adverts.py)


@dataclass(frozen=True, slots=True)
class SourceLink:
    """One outlet's report of a story: where to read it, under which title."""

    url: str | None
    title: str | None
    outlet: str


@dataclass(frozen=True, slots=True)
class Addition:
    """One sentence another outlet adds to a story's summary, and that outlet."""

    outlet: str
    sentence: str


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where an article was seen: a feed entry, a page, a file."""

    url: str | None = None
    name: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    categories: tuple[str, ...] = ()
    source_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article to store: its text and dedup keys, and, once dedup has found the story new,
    its summary and topics."""

    url: str | None
    title: str
    lead: str
    body: str
    content_hash: str
    fingerprint: bytes | None
    bands: tuple[int, ...]
    published_at: datetime | None
    title_lemmas: str
    text_lemmas: str
    source: SourceRef
    summary: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    long_summary: tuple[str, ...] = ()  # stored only where longer than `summary`


# -- lemmas ---------------------------------------------------------------------------------


def index_lemmas(text: str) -> str:
    """What full-text search indexes for `text`: its lemmas without stop words."""
    return join_lemmas(nlp.lemmas(text))


def join_lemmas(lemmas: Iterable[str]) -> str:
    stop = nlp.stop_words()
    kept = [lemma for lemma in lemmas if lemma not in stop]
    return " ".join(kept[:MAX_INDEX_LEMMAS])


def query_groups(phrases: Iterable[str]) -> list[list[str]]:
    """Each user phrase ("туризма", "новый год") as the lemmas an article must all have."""
    groups = [index_lemmas(phrase).split() for phrase in phrases]
    return [group for group in groups if group]


# -- writing --------------------------------------------------------------------------------


async def find_by_url(conn: AsyncConnection, url: str) -> int | None:
    """The article stored under canonical `url` or seen at it."""
    found = await conn.scalar(select(articles.c.id).where(articles.c.url == url))
    if found is None:
        found = await conn.scalar(
            select(article_sources.c.article_id).where(article_sources.c.url == url).limit(1)
        )
    return found


@dataclass(slots=True)
class KnownArticles:
    """What the archive already holds that a batch of new articles may duplicate: articles by
    canonical URL (theirs or a source's), by content hash, and by LSH band with fingerprints.
    `remember` adds an article of the batch itself under a provisional reference."""

    by_url: dict[str, int] = field(default_factory=dict)
    by_hash: dict[str, int] = field(default_factory=dict)
    by_band: dict[int, list[tuple[int, bytes | None]]] = field(default_factory=dict)

    def remember(self, new: NewArticle, ref: int) -> None:
        if new.url:
            self.by_url[new.url] = ref
        self.by_hash[new.content_hash] = ref
        for band in new.bands:
            self.by_band.setdefault(band, []).append((ref, new.fingerprint))


async def lookup(conn: AsyncConnection, batch: Sequence[NewArticle]) -> KnownArticles:
    """The stored articles that share a URL, a content hash or an LSH band with `batch`."""
    known = KnownArticles()
    urls = [new.url for new in batch if new.url]
    if urls:
        seen = select(article_sources.c.url, article_sources.c.article_id).where(
            dialect.one_of(conn, article_sources.c.url, urls)
        )
        stored = select(articles.c.url, articles.c.id).where(
            dialect.one_of(conn, articles.c.url, urls)
        )
        known.by_url.update((row[0], row[1]) for row in await conn.execute(seen.union(stored)))
    hashes = select(articles.c.content_hash, articles.c.id).where(
        dialect.one_of(conn, articles.c.content_hash, [new.content_hash for new in batch])
    )
    known.by_hash.update((row[0], row[1]) for row in await conn.execute(hashes))
    bands = [band for new in batch for band in new.bands]
    if bands:
        rows = await conn.execute(
            select(article_bands.c.band, articles.c.id, articles.c.fingerprint)
            .join(articles, articles.c.id == article_bands.c.article_id)
            .where(dialect.one_of(conn, article_bands.c.band, bands))
        )
        for band, article_id, fingerprint in rows:
            known.by_band.setdefault(band, []).append((article_id, fingerprint))
    return known


async def insert(conn: AsyncConnection, new: NewArticle) -> int:
    """Store one new article (see insert_many); its id."""
    [article_id] = await insert_many(conn, [new])
    return article_id


async def insert_many(conn: AsyncConnection, batch: Sequence[NewArticle]) -> list[int]:
    """Store new articles with their summaries, topics, bands and first sources; their ids,
    in order. A few statements for the whole batch, whatever its size."""
    if not batch:
        return []
    ingested_at = await _ingest_time(conn)
    await insert_rows(
        conn,
        articles,
        [
            {
                "url": new.url,
                "title": new.title,
                "lead": new.lead,
                "body": new.body,
                "content_hash": new.content_hash,
                "fingerprint": new.fingerprint,
                "published_at": new.published_at,
                "title_lemmas": new.title_lemmas,
                "text_lemmas": new.text_lemmas,
                "advert": is_advert(new.title, new.body),
            }
            for new in batch
        ],
        shared={"ingested_at": ingested_at},
    )
    # Ids read back by content hash (unique), not with RETURNING: SQLite does not promise the
    # order of RETURNING rows, so SQLAlchemy would then insert one row per statement.
    stored = await conn.execute(
        select(articles.c.content_hash, articles.c.id).where(
            dialect.one_of(conn, articles.c.content_hash, [new.content_hash for new in batch])
        )
    )
    id_of = dict(stored.all())
    ids = [id_of[new.content_hash] for new in batch]
    pairs = list(zip(ids, batch, strict=True))
    await insert_rows(
        conn,
        summaries,
        [
            {"article_id": id_, "method": SUMMARY_METHOD, "text": "\n".join(new.summary)}
            for id_, new in pairs
            if new.summary
        ]
        + [
            {"article_id": id_, "method": LONG_METHOD, "text": "\n".join(new.long_summary)}
            for id_, new in pairs
            if len(new.long_summary) > len(new.summary)
        ],
    )
    await ensure_topics(conn, {slug for new in batch for slug in new.topics})
    await insert_rows(
        conn,
        article_topics,
        [
            {"article_id": id_, "topic": slug, "rank": rank}
            for id_, new in pairs
            for rank, slug in enumerate(new.topics)
        ],
    )
    await insert_rows(
        conn,
        article_bands,
        [{"band": band, "article_id": id_} for id_, new in pairs for band in set(new.bands)],
    )
    await add_sources(conn, [(id_, new.source) for id_, new in pairs])
    await insert_rows(conn, push_queue, [{"article_id": id_} for id_ in ids])
    return ids


async def _ingest_time(conn: AsyncConnection) -> datetime:
    """The `ingested_at` of articles stored by this transaction, taken so that settled_until()
    holds: on SQLite inside the write lock (writers take turns), on PostgreSQL from the
    server's clock once the shared ingest lock is held (every process, one clock)."""
    if conn.dialect.name != "postgresql":
        return utcnow()
    return await conn.scalar(
        text(
            "SELECT clock_timestamp()"
            " FROM pg_advisory_xact_lock_shared(:key, hashtext(current_schema()))"
        ),
        {"key": INGEST_LOCK},
    )


async def settled_until(db: Database, now: datetime) -> datetime:
    """A moment up to `now` by which every article is stored: an article with a later
    `ingested_at` may still commit, one with an earlier or equal one never will.

    A window of articles by `ingested_at` read up to this moment misses none of them, however
    many processes store articles at once (ingested_at is taken before commit, so `now` alone
    does not promise that). It waits for the transactions storing articles at the time (they
    are short), and holds new ones back only while it does.
    """
    if db.is_sqlite:
        async with db.transaction():  # BEGIN IMMEDIATE: no writer is between its steps
            return min(now, utcnow())
    async with db.transaction() as conn:
        settled = await conn.scalar(
            text(
                "SELECT clock_timestamp()"
                " FROM pg_advisory_xact_lock(:key, hashtext(current_schema()))"
            ),
            {"key": INGEST_LOCK},
        )
    return min(now, settled)


async def add_sources(conn: AsyncConnection, pairs: Sequence[tuple[int, SourceRef]]) -> None:
    """Remember where articles were seen (one row per article and source)."""
    rows = [
        {
            "article_id": article_id,
            "source_id": source.source_id,
            "url": source.url,
            "title": source.title,
            "name": source.name,
            "published_at": source.published_at,
            "categories": "\n".join(source.categories) or None,
        }
        for article_id, source in pairs
    ]
    await insert_rows(conn, article_sources, rows, shared={"seen_at": utcnow()})


async def ensure_topics(conn: AsyncConnection, slugs: Iterable[str]) -> None:
    """Make sure the topic rows the article refers to exist (names from summarizer.topics).
    Rows that exist are not touched, so once a topic is committed this waits for no one."""
    from summarizer.topics import TOPICS

    names = {topic.slug: topic.name for topic in TOPICS}
    rows = [{"slug": slug, "name": names.get(slug, slug)} for slug in sorted(slugs)]
    await insert_rows(conn, topics_table, rows, skip_conflicts_on=["slug"])


# -- reading --------------------------------------------------------------------------------


async def latest(
    conn: AsyncConnection,
    *,
    topics: Sequence[str] = (),
    keywords: Sequence[str] = (),
    sources: Sequence[str] = (),
    limit: int = 5,
    before_id: int | None = None,
) -> list[ArticleView]:
    """The newest articles (by ingest order) in any of `topics`, matching any of `keywords`
    (user words, matched on lemmas) or seen at any of the outlets `sources`; all empty:
    everything. Page on with `before_id`."""
    page = {"before": NEWEST if before_id is None else before_id, "limit": limit}
    if not topics and not keywords and not sources:
        return await get_many(conn, list(await conn.scalars(_NEWEST, page)))
    found: set[int] = set()
    for slug in topics:
        found.update(await conn.scalars(_NEWEST_IN_TOPIC, {**page, "topic": slug}))
    for name in sources:
        found.update(await conn.scalars(_NEWEST_FROM_SOURCE, {**page, "name": name}))
    groups = query_groups(keywords)
    if groups:
        matches = dialect.match_newest(conn, groups)
        found.update(await conn.scalars(matches, {"before_id": page["before"], "limit": limit}))
    return await get_many(conn, sorted(found, reverse=True)[:limit])


# The hot statements are built once: reused with parameters, they skip SQLAlchemy's per-call
# construction and cache-key work (most of a /latest's database time on SQLite).
_NEWEST = (
    select(articles.c.id)
    .where(articles.c.id < bindparam("before"))
    .order_by(articles.c.id.desc())
    .limit(bindparam("limit"))
)
_NEWEST_IN_TOPIC = (
    select(article_topics.c.article_id)
    .where(
        article_topics.c.topic == bindparam("topic"),
        article_topics.c.article_id < bindparam("before"),
    )
    .order_by(article_topics.c.article_id.desc())
    .limit(bindparam("limit"))
)
_NEWEST_FROM_SOURCE = (
    select(article_sources.c.article_id)
    .where(
        article_sources.c.name == bindparam("name"),
        article_sources.c.article_id < bindparam("before"),
    )
    .order_by(article_sources.c.article_id.desc())
    .limit(bindparam("limit"))
)


async def search(
    conn: AsyncConnection, query: str, *, limit: int = 5, offset: int = 0
) -> list[ArticleView]:
    """Articles with every word of `query` (on lemmas), the best match of each story only,
    best first, newest among equals; `offset` counts stories. Only the newest
    dialect.RANK_WINDOW matches are ranked (a news archive is read for news), and of those the
    best (offset + limit) * STORY_READ read: a page may come out short then, but it never
    repeats a story of an earlier page."""
    groups = query_groups([query])
    if not groups:
        return []
    ranked = dialect.match_ranked(conn, groups)
    read = (offset + limit) * STORY_READ
    ids = await conn.scalars(ranked, {"limit": limit, "offset": offset, "read": read})
    return await get_many(conn, list(ids))


async def matches(conn: AsyncConnection, article_id: int, keywords: Sequence[str]) -> bool:
    """Whether the article has every lemma of at least one of `keywords`."""
    return bool(await matching_ids(conn, [article_id], keywords=keywords))


async def matching_ids(
    conn: AsyncConnection,
    ids: Sequence[int],
    *,
    topics: Sequence[str] = (),
    keywords: Sequence[str] = (),
    sources: Sequence[str] = (),
) -> set[int]:
    """Those of the articles `ids` that latest() with these `topics`, `keywords` and
    `sources` lists."""
    if not topics and not keywords and not sources:
        return set(ids)
    found: set[int] = set()
    if ids and sources:
        found.update(
            await conn.scalars(
                select(article_sources.c.article_id).where(
                    dialect.one_of(conn, article_sources.c.article_id, ids),
                    dialect.one_of(conn, article_sources.c.name, sources),
                )
            )
        )
    if ids and topics:
        found.update(
            await conn.scalars(
                select(article_topics.c.article_id).where(
                    dialect.one_of(conn, article_topics.c.article_id, ids),
                    dialect.one_of(conn, article_topics.c.topic, topics),
                )
            )
        )
    groups = query_groups(keywords)
    if ids and groups:
        found.update(await conn.scalars(dialect.match_among(conn, groups, ids)))
    return found


async def lemma_set(conn: AsyncConnection, article_id: int) -> frozenset[str]:
    """The indexed lemmas of an article (title and text), for matching keyword subscriptions."""
    row = (
        await conn.execute(
            select(articles.c.title_lemmas, articles.c.text_lemmas).where(
                articles.c.id == article_id
            )
        )
    ).first()
    if row is None:
        return frozenset()
    return frozenset(row.title_lemmas.split()) | frozenset(row.text_lemmas.split())


async def get(conn: AsyncConnection, article_id: int) -> ArticleView | None:
    views = await get_many(conn, [article_id])
    return views[0] if views else None


async def get_many(conn: AsyncConnection, ids: Sequence[int]) -> list[ArticleView]:
    """Views of the articles `ids`, in that order; unknown ids are left out. One query."""
    if not ids:
        return []
    rows = await conn.execute(_VIEWS_OF, {"ids": list(ids)})
    by_id = {row.id: row for row in rows}
    return [_view(by_id[article_id]) for article_id in ids if article_id in by_id]


def _first_source(column):
    return (
        select(column)
        .where(article_sources.c.article_id == articles.c.id)
        .order_by(article_sources.c.id)
        .limit(1)
        .scalar_subquery()
    )


_RANKED_TOPICS = (
    select(
        func.aggregate_strings(
            cast(article_topics.c.rank, String) + ":" + article_topics.c.topic, ","
        )
    )
    .where(article_topics.c.article_id == articles.c.id)
    .scalar_subquery()
)

_VIEWS = select(
    articles.c.id,
    articles.c.url,
    articles.c.title,
    articles.c.lead,
    articles.c.published_at,
    articles.c.ingested_at,
    articles.c.story_id,
    articles.c.advert,
    summaries.c.text.label("summary"),
    _RANKED_TOPICS.label("topics"),
    _first_source(article_sources.c.url).label("source_url"),
    _first_source(article_sources.c.name).label("source_name"),
).outerjoin(
    summaries,
    (summaries.c.article_id == articles.c.id) & (summaries.c.method == SUMMARY_METHOD),
)


_VIEWS_OF = _VIEWS.where(articles.c.id.in_(bindparam("ids", expanding=True)))


TELEGRAM_POST = re.compile(r"https://t\.me/([a-z][a-z0-9_]{4,31})/[0-9]+")


def outlet_of(link: str | None) -> str | None:
    """Who published at `link`, when the source gave no name: the site's host, or for a
    channel post (t.me/<name>/<id>) the channel, as "@name": each channel is an outlet."""
    if not link:
        return None
    post = TELEGRAM_POST.fullmatch(link)
    return f"@{post.group(1)}" if post else urlsplit(link).hostname


def _view(row) -> ArticleView:
    url = row.url or row.source_url
    sentences = tuple(row.summary.split("\n")) if row.summary else ()
    pairs = (item.split(":", 1) for item in (row.topics or "").split(",") if item)
    ranked = sorted((int(rank), slug) for rank, slug in pairs)
    return ArticleView(
        id=row.id,
        url=url,
        title=row.title,
        lead=row.lead,
        summary=" ".join(sentences),
        topics=[slug for _, slug in ranked],
        source_name=row.source_name or outlet_of(url),
        published_at=row.published_at,
        ingested_at=row.ingested_at,
        summary_sentences=sentences,
        story_id=row.story_id,
        advert=row.advert,
    )


async def lengthened(
    conn: AsyncConnection, views: Sequence[ArticleView], sentences: int
) -> list[ArticleView]:
    """`views` with their long summaries (where stored) when more than the summary's sentences
    are wanted; as they are otherwise."""
    if not views or sentences <= max(len(view.summary_sentences) for view in views):
        return list(views)
    rows = await conn.execute(
        select(summaries.c.article_id, summaries.c.text).where(
            summaries.c.method == LONG_METHOD,
            summaries.c.article_id.in_([view.id for view in views]),
        )
    )
    long = {article_id: tuple(text.split("\n")) for article_id, text in rows}
    return [
        replace(view, summary_sentences=long[view.id]) if view.id in long else view
        for view in views
    ]


async def take_unscanned(conn: AsyncConnection, limit: int) -> list[ArticleView]:
    """Up to `limit` articles stored and not yet scanned for pushes, in ingest order, taken off
    the queue: another scanner skips them, and sees them again only if this transaction
    rolls back."""
    ids = list(
        await conn.scalars(
            select(push_queue.c.article_id)
            .order_by(push_queue.c.article_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        await conn.execute(delete(push_queue).where(push_queue.c.article_id.in_(ids)))
    return await get_many(conn, ids)


async def count(conn: AsyncConnection) -> int:
    return await conn.scalar(select(func.count()).select_from(articles)) or 0
