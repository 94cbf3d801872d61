"""Stories in the archive: the seeds and a few retellings of their events by other outlets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.ingest.intake import ingest_paths_or_urls
from bot.ingest.pipeline import ingest_documents
from bot.ingest.stories import assign_unassigned, profile_cache
from bot.storage import articles
from bot.storage.schema import articles as articles_table
from bot.storage.schema import stories
from tests.retellings import (
    FINAL_RIA,
    FINAL_TITLE,
    FIRE_INTERFAX,
    FIRE_TASS,
    FIRE_TITLE,
    OTHER_FIRE,
)
from tests.support.databases import sample_article

SEEDS = Path(__file__).parents[2] / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))


async def story_sizes(db) -> dict[str, int]:
    """The number of articles in each story, by its representative's title."""
    async with db.read() as conn:
        rows = await conn.execute(
            select(articles_table.c.title, stories.c.size).join(
                articles_table, articles_table.c.id == stories.c.representative_id
            )
        )
        return dict(rows.all())


async def story_of(db, url: str) -> int:
    async with db.read() as conn:
        article_id = await articles.find_by_url(conn, url)
        return await conn.scalar(
            select(articles_table.c.story_id).where(articles_table.c.id == article_id)
        )


async def test_outlets_retelling_a_seed_join_its_story(database, settings):
    await ingest_paths_or_urls(database, [str(SEEDS)], settings, progress=False)
    results = await ingest_documents(database, [FIRE_TASS, FINAL_RIA, OTHER_FIRE, FIRE_INTERFAX])
    assert [result.status for result in results] == ["added"] * 4
    sizes = await story_sizes(database)
    # 001's retelling joined 001's story; the garage fire is a story of its own
    assert len(sizes) == len(SEED_FILES) - 1 + 1
    assert sizes[FIRE_TITLE] == 3
    assert sizes[FINAL_TITLE] == 2
    assert sizes[OTHER_FIRE.title] == 1
    assert sum(sizes.values()) == len(SEED_FILES) + 4
    assert await story_of(database, FIRE_TASS.url) == await story_of(database, FIRE_INTERFAX.url)


async def test_a_story_takes_articles_within_48_hours_only(database):
    now = datetime.now(UTC)
    early = replace(FIRE_TASS, published=now - timedelta(days=4))
    late = replace(FIRE_INTERFAX, published=now - timedelta(days=1, hours=23))
    await ingest_documents(database, [early])
    await ingest_documents(database, [late])
    assert await story_of(database, late.url) != await story_of(database, early.url)
    assert (await story_sizes(database))[late.title] == 1


async def test_upgrade_gives_stories_to_articles_stored_before_them(database):
    published = datetime(2024, 5, 1, 9, tzinfo=UTC)
    texts = [
        (FIRE_TASS.title, FIRE_TASS.text),
        (OTHER_FIRE.title, OTHER_FIRE.text),
        (FIRE_INTERFAX.title, FIRE_INTERFAX.text),
    ]
    async with database.transaction() as conn:
        ids = await articles.insert_many(
            conn,
            [
                sample_article(title, text, key=n, published_at=published + timedelta(hours=n))
                for n, (title, text) in enumerate(texts)
            ],
        )
    assert await assign_unassigned(database) == 3
    assert await assign_unassigned(database) == 0
    async with database.read() as conn:
        story = dict(
            (await conn.execute(select(articles_table.c.id, articles_table.c.story_id))).all()
        )
        [first_at, last_at] = (
            await conn.execute(
                select(stories.c.first_at, stories.c.last_at).where(stories.c.id == ids[0])
            )
        ).one()
    assert story == {ids[0]: ids[0], ids[1]: ids[1], ids[2]: ids[0]}
    assert (first_at, last_at) == (published, published + timedelta(hours=2))


async def test_a_story_stored_before_profiles_is_compared_by_its_lemmas(database):
    [first] = await ingest_documents(database, [FIRE_TASS])
    async with database.transaction() as conn:
        await conn.execute(update(stories).values(profile=None))  # as migration 0009 leaves it
    profile_cache(database).items.clear()  # a process started after the upgrade
    await ingest_documents(database, [FIRE_INTERFAX, OTHER_FIRE])
    assert await story_of(database, FIRE_INTERFAX.url) == first.article_id
    assert await story_of(database, OTHER_FIRE.url) != first.article_id
