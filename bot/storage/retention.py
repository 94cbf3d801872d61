"""Pruning old rows in small batches (SVODKA_KEEP_DELIVERIES_DAYS, SVODKA_KEEP_ARTICLES_DAYS).

Each function deletes at most `limit` rows' worth in the caller's transaction, so the caller
keeps every transaction short and lets the sender's own writes through between batches.
Articles go by story: a story whose newest article is older than the cut goes whole (its
articles, their summaries, topics, sources, bands and outbox rows by cascade, its keys), so no
story is left with a representative that is gone. Full-text rows follow their articles (the
FTS5 triggers on SQLite, the generated column on PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.deliveries import DROPPED, FAILED, SENT
from bot.storage.schema import articles, deliveries, stories, story_keys

FINISHED = (SENT, FAILED, DROPPED)


async def prune_deliveries(conn: AsyncConnection, before: datetime, *, limit: int) -> int:
    """Outbox rows sent, failed or dropped before `before`, at most `limit`; how many went."""
    old = (
        select(deliveries.c.id)
        .where(deliveries.c.finished_at < before, deliveries.c.state.in_(FINISHED))
        .limit(limit)
    )
    ids = list(await conn.scalars(old))
    if ids:
        await conn.execute(delete(deliveries).where(deliveries.c.id.in_(ids)))
    return len(ids)


async def prune_stories(conn: AsyncConnection, before: datetime, *, limit: int) -> int:
    """Stories whose newest article was published before `before`, at most `limit`, with
    their articles and keys; how many stories went."""
    old = select(stories.c.id).where(stories.c.last_at < before).limit(limit)
    ids = list(await conn.scalars(old))
    if ids:
        await conn.execute(delete(story_keys).where(story_keys.c.story_id.in_(ids)))
        await conn.execute(delete(articles).where(articles.c.story_id.in_(ids)))
        await conn.execute(delete(stories).where(stories.c.id.in_(ids)))
    return len(ids)


async def database_size(conn) -> int:
    """Bytes the database takes (SQLite: its pages, write-ahead log aside)."""
    if conn.dialect.name == "sqlite":
        pages = await conn.scalar(text("PRAGMA page_count"))
        return pages * await conn.scalar(text("PRAGMA page_size"))
    return await conn.scalar(text("SELECT pg_database_size(current_database())"))
