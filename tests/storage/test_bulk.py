"""Bulk inserts and lookups by many values, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.storage import articles, dialect
from bot.storage.bulk import insert_rows
from bot.storage.schema import article_bands, sources, topics
from tests.support.databases import sample_article


async def test_rows_are_stored_whatever_the_order_of_their_keys(database):
    async with database.transaction() as conn:
        await insert_rows(conn, topics, [{"name": "Спорт", "slug": "sport"}])
        await insert_rows(conn, topics, [{"slug": "science", "name": "Наука"}])
    async with database.read() as conn:
        rows = (await conn.execute(select(topics.c.slug, topics.c.name).order_by("slug"))).all()
    assert [tuple(row) for row in rows] == [("science", "Наука"), ("sport", "Спорт")]


MOSCOW = timezone(timedelta(hours=3))
FEED = {"kind": "feed", "poll_interval": 900, "failures": 0}


@pytest.mark.parametrize("shared_keys", [(), ("created_at", "active"), ("kind", "created_at")])
async def test_values_go_through_the_column_types_in_rows_or_shared(database, shared_keys):
    rows = [
        {**FEED, "url": f"https://outlet{n}.example/rss", "active": n % 2 == 0}
        | {"created_at": datetime(2026, 1, 1, 12, n, tzinfo=MOSCOW)}
        for n in range(3)
    ]
    shared = {key: rows[0][key] for key in shared_keys}
    rows = [{key: value for key, value in row.items() if key not in shared} for row in rows]
    async with database.transaction() as conn:
        await insert_rows(conn, sources, rows, shared=shared)
    async with database.read() as conn:
        stored = await conn.execute(
            select(sources.c.url, sources.c.kind, sources.c.created_at, sources.c.active).order_by(
                sources.c.url
            )
        )
        stored = [tuple(row) for row in stored]
    expected = []
    for n in range(3):
        minute = 0 if "created_at" in shared else n
        active = True if "active" in shared else n % 2 == 0
        created = datetime(2026, 1, 1, 9, minute, tzinfo=UTC)
        expected.append((f"https://outlet{n}.example/rss", "feed", created, active))
    assert stored == expected


async def test_rows_that_clash_on_the_given_columns_are_skipped(database):
    async with database.transaction() as conn:
        await insert_rows(conn, topics, [{"slug": "sport", "name": "Спорт"}])
        rows = [
            {"slug": "sport", "name": "Другое имя"},
            {"slug": "science", "name": "Наука"},
            {"slug": "science", "name": "Повтор в том же пакете"},
        ]
        await insert_rows(conn, topics, rows, skip_conflicts_on=["slug"])
    async with database.read() as conn:
        found = (await conn.execute(select(topics.c.slug, topics.c.name).order_by("slug"))).all()
    assert [tuple(row) for row in found] == [("science", "Наука"), ("sport", "Спорт")]


async def test_a_column_left_to_its_default_is_refused(database):
    async with database.transaction() as conn:
        with pytest.raises(ValueError, match="positional"):
            await insert_rows(conn, sources, [{"kind": "feed", "url": "https://outlet.example"}])


@pytest.mark.parametrize(
    "wanted",
    [[-(2**63), 2**63 - 1], [7], list(range(5000))],
    ids=["64-bit extremes", "one", "thousands"],
)
async def test_one_of_finds_exactly_the_values_given(database, wanted):
    stored = [-(2**63), 2**63 - 1, 7, 8, 4999, 5000]
    async with database.transaction() as conn:
        [article_id] = await articles.insert_many(conn, [sample_article("Т", "Текст.", key=1)])
        await conn.execute(article_bands.delete())
        rows = [{"band": band, "article_id": article_id} for band in stored]
        await insert_rows(conn, article_bands, rows)
    async with database.read() as conn:
        found = await conn.scalars(
            select(article_bands.c.band).where(dialect.one_of(conn, article_bands.c.band, wanted))
        )
        assert sorted(found) == sorted(set(stored) & set(wanted))
