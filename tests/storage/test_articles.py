"""Storage of articles and the queries the bot uses, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, text

from bot.storage import articles
from bot.storage.articles import NewArticle, SourceRef
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.schema import article_sources, summaries, utcnow
from tests.support.databases import sample_article

_serial = itertools.count()
HOUR = timedelta(hours=1)


def new_article(
    title: str,
    text: str,
    *,
    topics: tuple[str, ...] = ("economy",),
    url: str | None = None,
    source: str | None = "Вестник",
) -> NewArticle:
    return sample_article(
        title,
        text,
        key=next(_serial),
        url=url,
        topics=topics,
        summary=(text, "Вторая фраза."),
        published_at=datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
        source=SourceRef(url=url, name=source, categories=("Экономика",)),
    )


async def store(db, *items: NewArticle) -> list[int]:
    async with db.transaction() as conn:
        return [await articles.insert(conn, item) for item in items]


async def test_migrations_are_idempotent(database):
    await upgrade(database)
    [article_id] = await store(database, new_article("Туризм растёт", "Туристов стало больше."))
    async with database.read() as conn:
        assert [view.id for view in await articles.search(conn, "туристы")] == [article_id]


async def test_migration_0002_indexes_existing_articles_and_goes_back(database):
    def downgrade_to_0001(sync_connection) -> None:
        command.downgrade(alembic_config(sync_connection), "0001")

    async with database.transaction() as conn:
        await conn.run_sync(downgrade_to_0001)
        await conn.execute(
            text(
                "INSERT INTO articles (title, lead, body, content_hash, ingested_at)"
                " VALUES ('Туризм', 'Туристов стало больше.', 'Туристов стало больше.', 'h',"
                " CURRENT_TIMESTAMP)"
            )
        )
    await upgrade(database)
    async with database.read() as conn:
        [view] = await articles.search(conn, "туристы")
        assert await articles.lemma_set(conn, view.id) == {"туризм", "турист", "стать", "большой"}


async def test_round_trip_of_a_view(database):
    [article_id] = await store(
        database,
        new_article(
            "Цены на бензин",
            "Бензин подорожал на 2%.",
            topics=("economy", "society"),
            url="https://news.example/a/1",
        ),
    )
    async with database.read() as conn:
        view = await articles.get(conn, article_id)
        assert await articles.get(conn, article_id + 100) is None
    assert view is not None
    assert (view.title, view.url, view.source_name) == (
        "Цены на бензин",
        "https://news.example/a/1",
        "Вестник",
    )
    assert view.topics == ["economy", "society"]
    assert view.summary_sentences == ("Бензин подорожал на 2%.", "Вторая фраза.")
    assert view.summary == "Бензин подорожал на 2%. Вторая фраза."
    assert view.published_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert view.ingested_at.tzinfo is not None


async def test_source_name_falls_back_to_the_host(database):
    [article_id] = await store(
        database, new_article("Т", "Текст.", url="https://www.fontanka.ru/x", source=None)
    )
    async with database.read() as conn:
        assert (await articles.get(conn, article_id)).source_name == "www.fontanka.ru"


async def test_latest_is_newest_first_and_pages_with_before_id(database):
    ids = await store(database, *(new_article(f"Новость {n}", f"Текст {n}.") for n in range(7)))
    async with database.read() as conn:
        first = await articles.latest(conn, limit=3)
        second = await articles.latest(conn, limit=3, before_id=first[-1].id)
    assert [view.id for view in first] == ids[::-1][:3]
    assert [view.id for view in second] == ids[::-1][3:6]


async def test_latest_by_topics_and_keywords(database):
    sport, economy, tourism = await store(
        database,
        new_article("Матч", "Футболисты сыграли вничью.", topics=("sport",)),
        new_article("Рубль", "Курс рубля вырос.", topics=("economy",)),
        new_article("Отдых", "Число туристов в Алматы выросло.", topics=("tourism", "economy")),
    )
    async with database.read() as conn:

        async def ids(**filters) -> list[int]:
            return [view.id for view in await articles.latest(conn, **filters)]

        assert await ids(topics=["economy"]) == [tourism, economy]
        assert await ids(topics=["sport", "tourism"]) == [tourism, sport]
        assert await ids(keywords=["туризм"]) == []  # "туристов" is another lemma
        assert await ids(keywords=["туристы"]) == [tourism]
        assert await ids(topics=["sport"], keywords=["рубль"]) == [economy, sport]
        assert await ids(keywords=["курс рубля", "футбол"]) == [economy]
        assert await ids(topics=["unknown"]) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("туризм", ["tourism_title", "tourism_body"]),  # title match ranks first
        ("туризма", ["tourism_title", "tourism_body"]),  # any word form
        ("Туризмом Алматы", ["tourism_body"]),  # every word must be there
        ("и в на", []),  # stop words only
        ('"; DROP TABLE articles; --', []),  # user input is never syntax
        ("", []),
    ],
)
async def test_search_on_lemmas(database, query, expected):
    stored = dict(
        zip(
            ["tourism_body", "tourism_title", "sport"],
            await store(
                database,
                new_article("Новости Алматы", "В Алматы обсудили развитие туризма и рост."),
                new_article("Туризм", "Власти обсудили новые маршруты и рост."),
                new_article("Спорт", "Футболисты сыграли вничью."),
            ),
            strict=True,
        )
    )
    names = {value: key for key, value in stored.items()}
    async with database.read() as conn:
        found = await articles.search(conn, query)
    assert [names[view.id] for view in found] == expected


async def test_search_puts_newest_first_among_equals_and_pages(database):
    ids = await store(database, *(new_article("Биржа", "Индекс вырос.") for _ in range(4)))
    async with database.read() as conn:
        first = await articles.search(conn, "биржа", limit=3)
        rest = await articles.search(conn, "биржа", limit=3, offset=3)
    assert [view.id for view in first + rest] == ids[::-1]


async def test_keyword_matching_for_subscriptions(database):
    [article_id] = await store(database, new_article("Выборы мэра", "Избиратели голосуют."))
    async with database.read() as conn:
        assert await articles.matches(conn, article_id, ["выборам", "погода"])
        assert not await articles.matches(conn, article_id, ["погода"])
        assert {"выборы", "мэр", "избиратель"} <= await articles.lemma_set(conn, article_id)


async def test_stored_articles_are_taken_for_pushes_once_in_ingest_order(database):
    ids = await store(database, *(new_article(f"Н{n}", f"Текст {n}.") for n in range(5)))
    with pytest.raises(RuntimeError):  # a scan that fails gives its articles back
        async with database.transaction() as conn:
            assert len(await articles.take_unscanned(conn, 2)) == 2
            raise RuntimeError("crash before the pushes were enqueued")
    async with database.transaction() as conn:
        taken = [view.id for view in await articles.take_unscanned(conn, 2)]
        taken += [view.id for view in await articles.take_unscanned(conn, 10)]
        assert await articles.take_unscanned(conn, 10) == []
    assert taken == ids
    async with database.read() as conn:
        assert await articles.count(conn) == 5
        many = await articles.get_many(conn, [ids[3], 10**6, ids[0]])
        assert [view.id for view in many] == [ids[3], ids[0]]


async def test_settled_until_waits_for_articles_being_stored(database):
    """Every article stored by the returned moment has committed: a window read up to it
    misses none (an article with an earlier ingested_at cannot commit later)."""
    async with database.transaction() as slow:
        [article_id] = await articles.insert_many(slow, [new_article("Долгая", "Текст.")])
        settled = asyncio.create_task(articles.settled_until(database, utcnow() + HOUR))
        await asyncio.sleep(0.3)
        assert not settled.done()  # still storing: its ingested_at is not settled yet
    until = await asyncio.wait_for(settled, 10)
    async with database.read() as conn:
        [view] = await articles.get_many(conn, [article_id])
    assert view.ingested_at <= until < utcnow() + HOUR


async def test_a_failed_transaction_leaves_no_half_article(database):
    with pytest.raises(RuntimeError):
        async with database.transaction() as conn:
            await articles.insert(conn, new_article("Т", "Текст."))
            raise RuntimeError("crash after the insert")
    async with database.read() as conn:
        assert await articles.count(conn) == 0
        assert await conn.scalar(select(func.count()).select_from(summaries)) == 0
        assert await conn.scalar(select(func.count()).select_from(article_sources)) == 0
        assert await articles.search(conn, "текст") == []


async def test_search_ranks_only_the_newest_matches(database, monkeypatch):
    from bot.storage import dialect

    oldest, *newer = await store(
        database,
        new_article("Биржа", "Биржа, биржа и снова биржа."),
        new_article("Рынок", "Индекс биржи вырос."),
        new_article("Торги", "Биржа закрылась ростом."),
    )
    monkeypatch.setattr(dialect, "RANK_WINDOW", 2)
    async with database.read() as conn:
        found = [view.id for view in await articles.search(conn, "биржа")]
    assert sorted(found) == sorted(newer)
    assert oldest not in found


async def test_migration_0009_goes_back_and_forth_keeping_stories(database):
    [article_id] = await store(database, new_article("Туризм растёт", "Туристов стало больше."))

    def downgrade_to_0008(sync_connection) -> None:
        command.downgrade(alembic_config(sync_connection), "0008")

    async with database.transaction() as conn:
        await conn.execute(
            text(
                "INSERT INTO stories (id, representative_id, first_at, last_at, size, profile)"
                " VALUES (:id, :id, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, :profile)"
            ),
            {"id": article_id, "profile": b"encoded"},
        )
        await conn.run_sync(downgrade_to_0008)
    await upgrade(database)
    async with database.read() as conn:
        rows = await conn.execute(text("SELECT id, profile FROM stories"))
        assert rows.all() == [(article_id, None)]  # from now on compared by its lemmas


async def test_migration_0010_goes_back_and_forth_keeping_sources(database):
    def downgrade_to_0009(sync_connection) -> None:
        command.downgrade(alembic_config(sync_connection), "0009")

    async with database.transaction() as conn:
        await conn.execute(
            text(
                "INSERT INTO sources (kind, url, poll_interval, failures, active, created_at,"
                " chat_id) VALUES ('admin_channel', 'u', 900, 0, true, CURRENT_TIMESTAMP, -100123)"
            )
        )
        await conn.run_sync(downgrade_to_0009)
        kept = await conn.execute(text("SELECT kind, url FROM sources"))
        assert kept.all() == [("admin_channel", "u")]
    await upgrade(database)
    async with database.read() as conn:
        rows = await conn.execute(text("SELECT url, chat_id FROM sources"))
        assert rows.all() == [("u", None)]
