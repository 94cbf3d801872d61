"""Told once: a chat is pushed a story once, however many outlets then report it; the push and
the digest show the story with its sources."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.delivery.messages import Composer
from bot.delivery.pushes import scan_new_articles
from bot.ingest.pipeline import ingest_documents
from bot.storage import articles
from bot.storage.deliveries import Delivery
from bot.storage.schema import deliveries, utcnow
from tests.retellings import FINAL_RIA, FIRE_INTERFAX, FIRE_TASS, OTHER_FIRE


async def outbox(db) -> list[tuple[int, str, int]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(deliveries.c.chat_id, deliveries.c.item, deliveries.c.article_id).order_by(
                deliveries.c.id
            )
        )
        return [tuple(row) for row in rows]


async def test_a_story_is_pushed_to_a_chat_once(world, make_settings):
    settings = make_settings()
    await world.chat(1, instant=True, topics=(), keywords=("пожар",))
    await world.chat(2, instant=True, topics=(), keywords=("пожарный",))
    [first] = await ingest_documents(world.db, [FIRE_TASS])
    assert await scan_new_articles(world.db, settings, utcnow()) == 2
    joined, other = await ingest_documents(world.db, [FIRE_INTERFAX, OTHER_FIRE])
    await scan_new_articles(world.db, settings, utcnow())  # the other fire is new to them
    async with world.db.read() as conn:
        fire, garage, retold = await articles.get_many(
            conn, [first.article_id, other.article_id, joined.article_id]
        )
    assert retold.story_id == fire.story_id != garage.story_id
    assert await outbox(world.db) == [
        (1, f"story:{fire.story_id}", fire.id),
        (2, f"story:{fire.story_id}", fire.id),
        (1, f"story:{garage.story_id}", garage.id),
        (2, f"story:{garage.story_id}", garage.id),
    ]


def row(item: str, article_id: int | None, payload: str | None = None) -> Delivery:
    return Delivery(1, 1, "private", None, item, article_id, payload, 0, 0)


async def test_the_push_and_the_digest_tell_the_story_with_its_sources(world, make_settings):
    settings = make_settings()
    fire, final, retold = await ingest_documents(world.db, [FIRE_TASS, FINAL_RIA, FIRE_INTERFAX])
    compose = Composer(world.db, settings)
    [push] = await compose(row("story:x", fire.article_id))
    assert push.text.startswith(FIRE_TASS.title)
    assert "2 источника: ТАСС, Интерфакс" in push.text
    links = [entity.url for entity in push.entities if entity.type == "text_link"]
    assert links[-2:] == [FIRE_TASS.url, FIRE_INTERFAX.url]

    ids = f"[{final.article_id}, {retold.article_id}, {fire.article_id}]"
    [digest] = await compose(row(f"digest:{date.today()}", None, ids))
    assert digest.text.count(FIRE_TASS.title) == 1  # two articles, one story
    assert FIRE_INTERFAX.title not in digest.text
