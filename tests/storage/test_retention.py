"""Retention (bot/storage/retention.py, bot/delivery/retention.py): old outbox rows and old
stories pruned in batches, on SQLite and PostgreSQL; the database size /stats shows."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from sqlalchemy import func, select, text, update

from bot.config import Settings
from bot.delivery import retention as worker_retention
from bot.ingest.stories import assign_unassigned
from bot.storage import articles, chats, deliveries, retention
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.schema import article_topics, stories, story_keys, summaries, utcnow
from bot.storage.schema import articles as articles_table
from bot.storage.schema import deliveries as outbox
from tests.support.databases import sample_article

DAY = timedelta(days=1)
TOPICS = [
    ("Нефть дорожает", "Цены на нефть выросли на бирже в Лондоне."),
    ("Выборы в парламент", "Избиратели выбрали новый парламент страны."),
    ("Футбольный финал", "Сборная выиграла финал чемпионата по футболу."),
]


async def count(db, table) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(func.count()).select_from(table))


async def test_old_finished_deliveries_go_in_batches_pending_and_recent_stay(database):
    now = utcnow()
    async with database.transaction() as conn:
        await chats.upsert_chat(conn, 7, "private")
        await deliveries.enqueue(
            conn, [{"chat_id": 7, "item": f"digest:{n}"} for n in range(8)], now
        )
        ids = list(await conn.scalars(select(outbox.c.id).order_by(outbox.c.id)))
        # Finished 40 days ago: five sent/failed/dropped; one sent yesterday; two pending.
        for row_id, state, age in zip(
            ids, ["sent", "failed", "dropped", "sent", "sent", "sent"], [40] * 5 + [1], strict=False
        ):
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id)
                .values(state=state, finished_at=now - age * DAY)
            )
    async with database.transaction() as conn:
        assert await retention.prune_deliveries(conn, now - 30 * DAY, limit=3) == 3
    async with database.transaction() as conn:
        assert await retention.prune_deliveries(conn, now - 30 * DAY, limit=3) == 2
        assert await retention.prune_deliveries(conn, now - 30 * DAY, limit=3) == 0
    async with database.read() as conn:
        left = (await conn.execute(select(outbox.c.id, outbox.c.state))).all()
    assert sorted(left) == [(ids[5], "sent"), (ids[6], "pending"), (ids[7], "pending")]


async def test_old_stories_go_whole_with_their_articles_keys_and_search(database, monkeypatch):
    now = utcnow()
    async with database.transaction() as conn:
        await articles.ensure_topics(conn, ["economy"])
        for n, ((title, body), age) in enumerate(zip(TOPICS, [100, 90, 1], strict=True)):
            await articles.insert(
                conn, sample_article(title, body, key=n, published_at=now - age * DAY)
            )
    await assign_unassigned(database)
    assert await count(database, stories) == 3
    monkeypatch.setattr(worker_retention, "BATCH", 1)  # one story per transaction
    settings = Settings(_env_file=None, keep_articles_days=30, keep_deliveries_days=0)
    assert await worker_retention.prune_old_rows(database, settings, now) == {"stories": 2}
    async with database.read() as conn:
        [kept] = await conn.scalars(select(articles_table.c.title))
        assert kept == "Футбольный финал"
        assert [view.title for view in await articles.search(conn, "нефть")] == []
        assert [view.title for view in await articles.search(conn, "футбол")] == [kept]
        for table in (stories, story_keys, summaries, article_topics):
            assert await conn.scalar(select(func.count()).select_from(table)) > 0
        orphans = (
            select(func.count())
            .select_from(story_keys)
            .where(story_keys.c.story_id.not_in(select(stories.c.id)))
        )
        assert await conn.scalar(orphans) == 0
        assert await conn.scalar(select(func.count()).select_from(summaries)) == 1
    settings = Settings(_env_file=None, keep_articles_days=0, keep_deliveries_days=0)
    assert await worker_retention.prune_old_rows(database, settings, now + 1000 * DAY) == {}


async def test_database_size_is_counted(database):
    async with database.read() as conn:
        assert await retention.database_size(conn) > 0


async def test_migration_0013_goes_back_and_forth(database):
    def downgrade_to_0012(sync_connection) -> None:
        command.downgrade(alembic_config(sync_connection), "0012")

    async with database.transaction() as conn:
        await conn.execute(text("INSERT INTO story_keys (key, hour, story_id) VALUES ('k', 1, 5)"))
        await conn.run_sync(downgrade_to_0012)
    await upgrade(database)
    async with database.read() as conn:
        assert (await conn.execute(select(story_keys))).all() == [("k", 1, 5)]
