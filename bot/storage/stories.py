"""Stories in the archive: the index that finds the stories a new article may join, and the
writes that record which story each article joined. The caller owns the transaction; the
decision itself is bot/ingest/stories.py's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import dialect
from bot.storage.bulk import execute_rows, insert_rows
from bot.storage.schema import UTCDateTime, articles, stories, story_keys

REPRESENTATIVE_CHARS = 20_000  # of the body: all that summarizer.stories reads


def hour(moment: datetime) -> int:
    """Hours since 1970 UTC: the time of an index entry."""
    return int(moment.timestamp()) // 3600


async def keyed(
    conn: AsyncConnection, keys: Sequence[str], since: int, until: int
) -> list[tuple[str, int, int]]:
    """(key, hour, story) of every index entry with one of `keys` from hour `since` to
    `until`: one indexed range scan per key."""
    if not keys:
        return []
    rows = await conn.execute(
        select(story_keys.c.key, story_keys.c.hour, story_keys.c.story_id).where(
            dialect.one_of(conn, story_keys.c.key, sorted(set(keys))),
            story_keys.c.hour.between(since, until),
        )
    )
    return rows.all()


async def representatives(
    conn: AsyncConnection, story_ids: Sequence[int]
) -> dict[int, tuple[str, str]]:
    """Title and body start of each story's representative article, by story id."""
    if not story_ids:
        return {}
    rows = await conn.execute(
        select(
            stories.c.id,
            articles.c.title,
            func.substr(articles.c.body, 1, REPRESENTATIVE_CHARS),
        )
        .join(articles, articles.c.id == stories.c.representative_id)
        .where(dialect.one_of(conn, stories.c.id, sorted(set(story_ids))))
    )
    return {story_id: (title, body) for story_id, title, body in rows}


@dataclass(frozen=True, slots=True)
class Joined:
    """An article that joined a story (possibly as its first article), with the keys it brings
    to the index and its publication time."""

    article_id: int
    story_id: int
    at: datetime
    keys: Sequence[str]


async def record(conn: AsyncConnection, joined: Sequence[Joined]) -> None:
    """Store the story of each article: new stories (the story id is the article's own),
    the times and sizes of those joined, each article's story, and the index keys."""
    if not joined:
        return
    spans: dict[int, list] = {}
    for item in joined:
        span = spans.setdefault(item.story_id, [item.at, item.at, 0])
        span[0], span[1], span[2] = min(span[0], item.at), max(span[1], item.at), span[2] + 1
    new = {item.story_id for item in joined if item.story_id == item.article_id}
    await insert_rows(
        conn,
        stories,
        [
            {"id": sid, "representative_id": sid, "first_at": first, "last_at": last, "size": size}
            for sid, (first, last, size) in spans.items()
            if sid in new
        ],
    )
    grown = [
        {"sid": sid, "first": first, "last": last, "added": size}
        for sid, (first, last, size) in spans.items()
        if sid not in new
    ]
    await execute_rows(conn, _GROW, grown)
    await execute_rows(
        conn, _SET_STORY, [{"aid": item.article_id, "sid": item.story_id} for item in joined]
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
    title: str
    body: str
    at: datetime


async def unassigned(conn: AsyncConnection, *, limit: int) -> list[Unassigned]:
    """The first stored articles without a story (upgrade assigns them in ingest order)."""
    rows = await conn.execute(
        select(
            articles.c.id,
            articles.c.title,
            func.substr(articles.c.body, 1, REPRESENTATIVE_CHARS),
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
