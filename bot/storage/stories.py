"""Stories in the archive: the index that finds the stories a new article may join, and the
writes that record which story each article joined. The caller owns the transaction; the
decision itself is bot/ingest/stories.py's."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, Row, Select, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import additions, dialect
from bot.storage.articles import (
    STORY_READ,
    ArticleView,
    SourceLink,
    get_many,
    latest,
    matching_ids,
    outlet_of,
)
from bot.storage.bulk import execute_rows, insert_rows
from bot.storage.mutes import Hidden, visible
from bot.storage.schema import UTCDateTime, article_sources, articles, stories, story_keys


def hour(moment: datetime) -> int:
    """Hours since 1970 UTC: the time of an index entry."""
    return int(moment.timestamp()) // 3600


async def shared_keys(
    conn: AsyncConnection,
    wanted: Sequence[tuple[int, str, int, int]],
    *,
    min_shared: int,
    most: int,
) -> list[tuple[int, int, int]]:
    """(n, story, shared keys) for the `most` stories indexed under the most keys `wanted`
    gives for n (the oldest first among equals), and under at least `min_shared`; each key
    comes with its first and last hour: (n, key, first, last). One statement for a batch,
    which returns only those."""
    if not wanted:
        return []
    statement = dialect.shared_keys(conn, wanted)
    rows = await conn.execute(statement, {"min_shared": min_shared, "most": most})
    return [tuple(row) for row in rows]


@dataclass(frozen=True, slots=True)
class Representative:
    """What a story is compared by: its stored profile, or for a story from before profiles
    were stored, its representative's lemmas (`articles.title_lemmas`, `text_lemmas`)."""

    profile: bytes | None
    title_lemmas: str  # "" where a profile is
    text_lemmas: str


async def representatives(
    conn: AsyncConnection, story_ids: Sequence[int]
) -> dict[int, Representative]:
    """Each story's representative, by story id; lemmas are read only where no profile is."""
    if not story_ids:
        return {}
    unprofiled = stories.c.profile.is_(None)
    rows = await conn.execute(
        select(
            stories.c.id,
            stories.c.profile,
            case((unprofiled, articles.c.title_lemmas), else_=""),
            case((unprofiled, articles.c.text_lemmas), else_=""),
        )
        .join(articles, articles.c.id == stories.c.representative_id)
        .where(dialect.one_of(conn, stories.c.id, sorted(set(story_ids))))
    )
    return {story_id: Representative(*found) for story_id, *found in rows}


async def story_sizes(conn: AsyncConnection, story_ids: Collection[int]) -> dict[int, int]:
    """The number of articles of each story, by story id."""
    if not story_ids:
        return {}
    rows = await conn.execute(
        select(stories.c.id, stories.c.size).where(
            dialect.one_of(conn, stories.c.id, sorted(set(story_ids)))
        )
    )
    return dict(rows.all())


@dataclass(frozen=True, slots=True)
class Joined:
    """An article that joined a story (possibly as its first article), with the keys it brings
    to the index and its publication time."""

    article_id: int
    story_id: int
    at: datetime
    keys: Sequence[str]
    profile: bytes | None  # encoded, for the article that starts its story

    @property
    def starts_story(self) -> bool:
        return self.story_id == self.article_id


async def record(conn: AsyncConnection, joined: Sequence[Joined]) -> None:
    """Store the story of each article: new stories (the story id is the article's own),
    the times and sizes of those joined, each article's story, and the index keys."""
    if not joined:
        return
    spans: dict[int, list] = {}
    for item in joined:
        span = spans.setdefault(item.story_id, [item.at, item.at, 0])
        span[0], span[1], span[2] = min(span[0], item.at), max(span[1], item.at), span[2] + 1
    started = {item.story_id: item for item in joined if item.starts_story}
    await insert_rows(
        conn,
        stories,
        [
            {
                "id": sid,
                "representative_id": sid,
                "first_at": first,
                "last_at": last,
                "size": size,
                "profile": started[sid].profile,
            }
            for sid, (first, last, size) in spans.items()
            if sid in started
        ],
    )
    grown = [
        {"sid": sid, "first": first, "last": last, "added": size}
        for sid, (first, last, size) in spans.items()
        if sid not in started
    ]
    await execute_rows(conn, _GROW, grown)
    # Most new articles start their story: one statement for those, one row each for the rest.
    if started:
        await conn.execute(
            update(articles)
            .where(dialect.one_of(conn, articles.c.id, sorted(started)))
            .values(story_id=articles.c.id)
        )
    await execute_rows(
        conn,
        _SET_STORY,
        [
            {"aid": item.article_id, "sid": item.story_id}
            for item in joined
            if not item.starts_story
        ],
    )
    await insert_rows(
        conn,
        story_keys,
        [
            {"key": key, "hour": hour(item.at), "story_id": item.story_id}
            for item in joined
            for key in item.keys
        ],
    )


_FIRST = bindparam("first", type_=UTCDateTime())
_LAST = bindparam("last", type_=UTCDateTime())
_GROW = (
    update(stories)
    .where(stories.c.id == bindparam("sid"))
    .values(
        first_at=case(
            (stories.c.first_at > _FIRST, _FIRST),
            else_=stories.c.first_at,
        ),
        last_at=case((stories.c.last_at < _LAST, _LAST), else_=stories.c.last_at),
        size=stories.c.size + bindparam("added"),
    )
)
_SET_STORY = (
    update(articles).where(articles.c.id == bindparam("aid")).values(story_id=bindparam("sid"))
)


@dataclass(frozen=True, slots=True)
class Unassigned:
    """An article stored before stories existed, as assignment needs it."""

    id: int
    title_lemmas: str
    text_lemmas: str
    at: datetime


async def unassigned(conn: AsyncConnection, *, limit: int) -> list[Unassigned]:
    """The first stored articles without a story (upgrade assigns them in ingest order)."""
    rows = await conn.execute(
        select(
            articles.c.id,
            articles.c.title_lemmas,
            articles.c.text_lemmas,
            articles.c.published_at,
            articles.c.ingested_at,
        )
        .where(articles.c.story_id.is_(None))
        .order_by(articles.c.id)
        .limit(limit)
    )
    return [
        Unassigned(id_, title, body, published or ingested)
        for id_, title, body, published, ingested in rows
    ]


async def count_unassigned(conn: AsyncConnection) -> int:
    return (
        await conn.scalar(
            select(func.count()).select_from(articles).where(articles.c.story_id.is_(None))
        )
        or 0
    )


# -- telling --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryPage:
    """Stories to show, and where the next page starts (`before`, an article id)."""

    views: list[ArticleView]
    before: int | None


MUTED_READS = 4  # reads for one page at most, when mutes hide some of what is read


async def latest_page(
    conn: AsyncConnection,
    *,
    topics: Sequence[str] = (),
    keywords: Sequence[str] = (),
    sources: Sequence[str] = (),
    count: int,
    before_id: int | None = None,
    hidden: Hidden | None = None,
) -> StoryPage:
    """A page of /latest: the `count` newest stories with an article in `topics`, matching
    `keywords` or from `sources` (all empty: every story), each where its newest such article
    stands, without what the chat `hidden` hides; the next page starts at the `before` of this
    one (`before_id`). While mutes hide much of what is read, a few more reads fill the page."""
    query = {"topics": topics, "keywords": keywords, "sources": sources}
    wanted = count * STORY_READ
    found: list[ArticleView] = []
    lowest, exhausted = before_id, False
    for _ in range(MUTED_READS if hidden is not None else 1):
        read = await latest(conn, **query, limit=wanted, before_id=lowest)
        found += read if hidden is None else await visible(conn, read, hidden)
        exhausted = len(read) < wanted
        if exhausted or len({_story_key(view) for view in found}) >= count:
            break
        lowest = read[-1].id
    shown: set[int] = set()
    if before_id is not None:
        shown = await _shown_from(conn, found, before_id, **query)
    told = await one_per_story(conn, found, limit=count, shown=shown)
    if hidden is None:
        return told
    views = await visible(conn, told.views, hidden, checked={view.id for view in found})
    # Everything read was hidden, but the archive goes on: the next page reads on from there.
    before = told.before if told.before is not None or exhausted else lowest
    return StoryPage(views, before)


async def one_per_story(
    conn: AsyncConnection,
    views: Sequence[ArticleView],
    *,
    limit: int | None = None,
    shown: Collection[int] = (),
) -> StoryPage:
    """`views` (articles, most wanted first) as stories: each story once, where its first
    article in `views` stands, shown as its representative with the sources of all its
    articles; at most `limit`; the stories whose ids are in `shown` left out.

    `before` is the id below which every article of `views` belongs to a story not shown
    yet (None when `views` had nothing more): paging on by id keeps each story on one page."""
    chosen: list[int] = []
    first_of: dict[int, ArticleView] = {}
    before = None
    for view in views:
        key = _story_key(view)
        if key in shown or key in first_of:
            continue
        if limit is not None and len(chosen) == limit:
            before = view.id + 1
            break
        first_of[key] = view
        chosen.append(key)
    else:
        before = min((view.id for view in views), default=None)
    stories_of = {key: view for key, view in first_of.items() if key > 0}
    told = await _represented(conn, list(stories_of))
    return StoryPage([told.get(key) or first_of[key] for key in chosen], before)


def _story_key(view: ArticleView) -> int:
    """The story id; minus the article id for an article without one (an archive that is
    being upgraded)."""
    return view.story_id if view.story_id is not None else -view.id


async def _shown_from(
    conn: AsyncConnection,
    views: Sequence[ArticleView],
    first_id: int,
    *,
    topics: Sequence[str],
    keywords: Sequence[str],
    sources: Sequence[str],
) -> set[int]:
    """The stories of `views` that the pages of latest_page before `first_id` showed: those
    with an article from that id up that latest() with the same `topics` and `keywords`
    returns. (Not any article from there up: a story whose newer articles are outside the
    topic was not shown by them, and is shown where its articles within the topic stand.)"""
    story_ids = sorted({view.story_id for view in views if view.story_id is not None})
    if not story_ids:
        return set()
    rows = await conn.execute(
        select(articles.c.id, articles.c.story_id).where(
            dialect.one_of(conn, articles.c.story_id, story_ids), articles.c.id >= first_id
        )
    )
    story_of = dict(rows.all())
    listed = await matching_ids(
        conn, list(story_of), topics=topics, keywords=keywords, sources=sources
    )
    return {story_of[article_id] for article_id in listed}


async def _represented(conn: AsyncConnection, story_ids: list[int]) -> dict[int, ArticleView]:
    """Each story's representative view, with the story's sources and last time."""
    if not story_ids:
        return {}
    rows = (
        await conn.execute(
            select(
                stories.c.id, stories.c.representative_id, stories.c.last_at, stories.c.size
            ).where(dialect.one_of(conn, stories.c.id, story_ids))
        )
    ).all()
    views = {view.id: view for view in await get_many(conn, [row[1] for row in rows])}
    sources = await story_sources(conn, story_ids, sizes={row[0]: row[3] for row in rows})
    added = await additions.stored(conn, story_ids)
    return {
        story_id: replace(
            views[rep_id],
            sources=sources.get(story_id, ()),
            story_last_at=last,
            addition=added.get(story_id),
        )
        for story_id, rep_id, last, _ in rows
        if rep_id in views
    }


SOURCES_READ = 100  # a story's outlets are looked for among its first this many articles


async def story_sources(
    conn: AsyncConnection, story_ids: Sequence[int], *, sizes: dict[int, int] | None = None
) -> dict[int, tuple[SourceLink, ...]]:
    """Every outlet that reported each story, first seen first, one link per outlet. The
    outlets of a story of more than `SOURCES_READ` articles (a flooded one) are those of its
    first `SOURCES_READ`: what it costs to read stays bounded. `sizes`: the stories' sizes
    where the caller has read them (else they are read here)."""
    if not story_ids:
        return {}
    if sizes is None:
        sizes = await story_sizes(conn, story_ids)
    big = [sid for sid, size in sizes.items() if size > SOURCES_READ]
    small = sorted(set(story_ids) - set(big))
    rows = list(await conn.execute(_sources_of(conn, small))) if small else []
    for story_id in big:
        first = (
            select(articles.c.id)
            .where(articles.c.story_id == story_id)
            .order_by(articles.c.id)
            .limit(SOURCES_READ)
        )
        rows += await conn.execute(_sources_of(conn, [story_id], articles.c.id.in_(first)))
    rows.sort(key=lambda row: row[0])
    return _links(rows, by_outlet=True)


async def story_links(
    conn: AsyncConnection, story_ids: Sequence[int]
) -> dict[int, tuple[SourceLink, ...]]:
    """Every place each story's articles were seen, one link per URL, first seen first (what
    `svodka latest --json` lists: an outlet's second article of a story too)."""
    if not story_ids:
        return {}
    rows = await conn.execute(
        select(*_LINK_COLUMNS)
        .join(articles, articles.c.id == article_sources.c.article_id)
        .where(dialect.one_of(conn, articles.c.story_id, list(story_ids)))
        .order_by(article_sources.c.id)
    )
    return _links(rows, by_outlet=False)


# What _links reads: (row id, story, url, title, outlet name, the article's url).
_LINK_COLUMNS = (
    article_sources.c.id,
    articles.c.story_id,
    article_sources.c.url,
    article_sources.c.title,
    article_sources.c.name,
    articles.c.url,
)


def _links(rows: Iterable[Row], *, by_outlet: bool) -> dict[int, tuple[SourceLink, ...]]:
    """Rows of (row id, story, url, title, outlet name, the article's url), first seen first,
    as each story's links: one per outlet, or one per URL."""
    found: dict[int, dict[str, SourceLink]] = {}
    for _, story_id, url, title, name, article_url in rows:
        link = url or article_url
        outlet = name or outlet_of(link)
        key = outlet if by_outlet else link
        if outlet and key:
            found.setdefault(story_id, {}).setdefault(key, SourceLink(link, title, outlet))
    return {story_id: tuple(links.values()) for story_id, links in found.items()}


def _sources_of(conn: AsyncConnection, story_ids: Sequence[int], *among: ColumnElement) -> Select:
    """The first source row of each outlet (by name, or by URL where a source has none) of
    the stories' articles (`among`: those only): (row id, story, url, title, name, the
    article's url). The database keeps one row per outlet before anything is read."""
    outlet = func.coalesce(article_sources.c.name, article_sources.c.url, articles.c.url)
    firsts = (
        select(func.min(article_sources.c.id).label("id"))
        .join(articles, articles.c.id == article_sources.c.article_id)
        .where(dialect.one_of(conn, articles.c.story_id, story_ids), *among)
        .group_by(articles.c.story_id, outlet)
        .subquery()
    )
    return (
        select(*_LINK_COLUMNS)
        .join(firsts, firsts.c.id == article_sources.c.id)
        .join(articles, articles.c.id == article_sources.c.article_id)
    )


def by_coverage(views: Sequence[ArticleView]) -> list[ArticleView]:
    """Stories told by the most outlets first, the most recent first among equals (/top and
    the order within a digest's topic)."""
    return sorted(views, key=lambda view: (-outlets(view), -_newest(view).timestamp()))


def outlets(view: ArticleView) -> int:
    """How many outlets told the story (1 for an article told alone)."""
    return max(len(view.sources), 1)


def _newest(view: ArticleView) -> datetime:
    return view.story_last_at or view.published_at or view.ingested_at


TOP_READ = 1000  # newest matching articles /top looks at


async def top(
    conn: AsyncConnection,
    *,
    topics: Sequence[str] = (),
    keywords: Sequence[str] = (),
    sources: Sequence[str] = (),
    since: datetime,
    limit: int,
    hidden: Hidden | None = None,
) -> list[ArticleView]:
    """The stories with an article since `since` (in `topics`, matching `keywords` or from
    `sources`; all empty: all) told by the most distinct outlets, the most recent first among
    equals; without what the chat `hidden` hides."""
    found = await latest(conn, topics=topics, keywords=keywords, sources=sources, limit=TOP_READ)
    if hidden is not None:
        found = await visible(conn, found, hidden)
    first_of: dict[int, ArticleView] = {}
    for view in found:
        if (view.published_at or view.ingested_at) >= since:
            first_of.setdefault(_story_key(view), view)
    story_ids = [key for key in first_of if key > 0]
    spans = await _spans(conn, story_ids)
    sizes = {story_id: size for story_id, (_, size) in spans.items()}
    told_by = await story_sources(conn, story_ids, sizes=sizes)
    last_at = {story_id: last for story_id, (last, _) in spans.items()}

    def rank(key: int) -> tuple[int, float]:
        view = first_of[key]
        newest = last_at.get(key) or view.published_at or view.ingested_at
        return -max(len(told_by.get(key, ())), 1), -newest.timestamp()

    if hidden is not None:
        shown_keys = [
            key
            for key in first_of
            if not hidden.hides_outlets({link.outlet for link in told_by.get(key, ())})
        ]
    else:
        shown_keys = list(first_of)
    chosen = sorted(shown_keys, key=rank)[:limit]
    views = (await one_per_story(conn, [first_of[key] for key in chosen])).views
    return views if hidden is None else await visible(conn, views, hidden)


async def _spans(conn: AsyncConnection, story_ids: list[int]) -> dict[int, tuple[datetime, int]]:
    """Each story's last time and size."""
    if not story_ids:
        return {}
    rows = await conn.execute(
        select(stories.c.id, stories.c.last_at, stories.c.size).where(
            dialect.one_of(conn, stories.c.id, story_ids)
        )
    )
    return {story_id: (last, size) for story_id, last, size in rows}
