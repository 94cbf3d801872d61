"""Counts for the admins' /stats that no other storage module owns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import dialect
from bot.storage.schema import article_topics, articles, deliveries


async def articles_by_topic(conn: AsyncConnection) -> dict[str, int]:
    """Articles per main topic, the largest first."""
    number = func.count().label("number")
    query = (
        select(article_topics.c.topic, number)
        .where(article_topics.c.rank == 0)
        .group_by(article_topics.c.topic)
        .order_by(number.desc())
    )
    return {topic: count for topic, count in await conn.execute(query)}


async def articles_per_hour_by_topic(
    conn: AsyncConnection, since: datetime
) -> list[tuple[str, str, int]]:
    """Articles stored since `since` by hour ('YYYY-MM-DD HH', UTC) and main topic."""
    hour = dialect.hour_of(conn, articles.c.ingested_at)
    query = (
        select(hour, article_topics.c.topic, func.count())
        .select_from(articles.join(article_topics, article_topics.c.article_id == articles.c.id))
        .where(articles.c.ingested_at >= since, article_topics.c.rank == 0)
        .group_by(hour, article_topics.c.topic)
    )
    return [tuple(row) for row in await conn.execute(query)]


async def deliveries_per_hour(conn: AsyncConnection, since: datetime) -> list[tuple[str, str, int]]:
    """Deliveries that ended since `since` by hour ('YYYY-MM-DD HH', UTC) and state (sent,
    failed, dropped)."""
    hour = dialect.hour_of(conn, deliveries.c.finished_at)
    query = (
        select(hour, deliveries.c.state, func.count())
        .where(deliveries.c.finished_at >= since)
        .group_by(hour, deliveries.c.state)
    )
    return [tuple(row) for row in await conn.execute(query)]
