"""What another outlet adds to a story's summary: decided when it joins, stored once, shown
with the story."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.ingest.document import Document
from bot.ingest.pipeline import ingest_documents
from bot.storage import additions, articles
from bot.storage.articles import Addition
from bot.storage.stories import one_per_story
from tests.retellings import FIRE_INTERFAX, FIRE_TASS, FIRE_TITLE, OTHER_FIRE

FIRE_SEED = Document(
    text=(Path(__file__).parents[2] / "seeds" / "010_pozhar-sklad.txt").read_text()
)
ADDED = Addition("Интерфакс", "Открытое горение ликвидировали к 07:30 силами более 80 пожарных.")


async def story_of_fire(db) -> int:
    async with db.read() as conn:
        [fire] = [
            view for view in await articles.latest(conn, limit=20) if view.title == FIRE_TITLE
        ]
        return fire.story_id


async def stored_addition(db) -> Addition | None:
    story_id = await story_of_fire(db)
    async with db.read() as conn:
        return (await additions.stored(conn, [story_id])).get(story_id)


@pytest.mark.parametrize(
    "joining, expected",
    [
        ([FIRE_TASS], None),  # its sentences repeat the seed's facts
        ([FIRE_TASS, FIRE_INTERFAX], ADDED),  # the next outlet adds the time the fire was out
        ([FIRE_INTERFAX, FIRE_TASS], ADDED),
        ([replace(FIRE_INTERFAX, source_name=None, url=None)], replace(ADDED, outlet="")),
        ([OTHER_FIRE], None),  # another event: its own story
    ],
)
async def test_an_outlet_joining_a_story_adds_one_sentence(database, joining, expected):
    await ingest_documents(database, [FIRE_SEED])
    for document in joining:  # one batch each: the addition is decided as each one joins
        await ingest_documents(database, [document])
    assert await stored_addition(database) == expected


async def test_the_same_outlet_adds_nothing(database):
    await ingest_documents(database, [replace(FIRE_SEED, source_name="Интерфакс")])
    await ingest_documents(database, [FIRE_INTERFAX])
    assert await stored_addition(database) is None


async def test_a_story_is_told_with_its_addition(database):
    await ingest_documents(database, [FIRE_SEED, FIRE_TASS, FIRE_INTERFAX])  # one batch
    async with database.read() as conn:
        told = await one_per_story(conn, await articles.latest(conn, limit=10))
    [fire] = told.views
    assert (fire.title, fire.addition) == (FIRE_TITLE, ADDED)
