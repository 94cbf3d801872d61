"""Transactions and reads: what each kind of connection may do and sees."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from bot.storage import articles
from bot.storage.schema import topics
from tests.support.databases import sample_article


async def test_a_read_sees_what_was_committed_before_it(database):
    async with database.transaction() as conn:
        [article_id] = await articles.insert_many(conn, [sample_article("Т", "Текст.", key=1)])
    async with database.read() as conn:
        assert [view.id for view in await articles.latest(conn)] == [article_id]
    async with database.transaction() as conn:
        [newer] = await articles.insert_many(conn, [sample_article("Т", "Текст.", key=2)])
    async with database.read() as conn:
        assert [view.id for view in await articles.latest(conn)] == [newer, article_id]


async def test_reads_cannot_write(database):
    with pytest.raises(DBAPIError, match=r"read-only|readonly"):
        async with database.read() as conn:
            await conn.execute(topics.insert().values(slug="x", name="x"))
    async with database.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(topics)) == 0
