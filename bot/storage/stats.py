"""Counts for the admins' /stats that no other storage module owns."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.schema import article_topics


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
