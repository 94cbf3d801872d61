"""/latest and /top tell a story once, with its sources; /top ranks by outlets."""

from __future__ import annotations

import pytest

from bot import texts
from bot.handlers import search
from bot.ingest.pipeline import ingest_documents
from tests.retellings import (
    FINAL_RIA,
    FINAL_TITLE,
    FIRE_INTERFAX,
    FIRE_TASS,
    FIRE_TITLE,
    OTHER_FIRE,
)


@pytest.fixture
async def retold(harness):
    """The seeded archive, then the fire retold by two outlets, the final by one, and another
    fire: in that order."""
    await ingest_documents(harness.db, [FIRE_TASS, FINAL_RIA, OTHER_FIRE, FIRE_INTERFAX])
    return harness


async def test_latest_shows_a_story_once_with_its_sources(retold):
    [reply] = await retold.say("/latest 3")
    text = reply["text"]
    assert text.count(FIRE_TITLE) == 1  # the story's first article stands for it
    assert FIRE_TASS.title not in text and FIRE_INTERFAX.title not in text
    assert "2 источника: ТАСС, Интерфакс" in text
    assert OTHER_FIRE.title in text and FINAL_TITLE in text  # three stories, five articles
    links = {entity.get("url") for entity in reply["entities"]}
    assert {FIRE_TASS.url, FIRE_INTERFAX.url} <= links


async def test_latest_pages_on_without_repeating_a_story(retold):
    [first] = await retold.say("/latest 2")
    await retold.press(first)
    await retold.api.wait_sent(retold.user["id"], count=2)
    await retold.settle()
    second = retold.api.sent_messages(retold.user["id"])[-1]
    shown = first["text"] + second["text"]
    assert shown.count(FIRE_TITLE) == 1 and shown.count(FINAL_TITLE) == 1


async def test_search_pages_on_without_repeating_a_story(retold, monkeypatch):
    monkeypatch.setattr(search, "PAGE", 1)
    [page] = await retold.say("/search пожар")
    shown = [page["text"]]
    while page.get("reply_markup"):
        await retold.press(page)
        page = (await retold.api.wait_sent(retold.user["id"], count=len(shown) + 1))[-1]
        shown.append(page["text"])
    assert shown[-1] == texts.NOTHING_MORE
    assert "".join(shown).count(FIRE_TITLE) == 1  # ranked fire, garage, fire, fire


async def test_top_ranks_stories_by_outlets_then_recency(retold):
    [reply] = await retold.say("/top 3")
    text = reply["text"]
    assert text.startswith(texts.TOP_HEADER)
    order = [text.index(title) for title in (FIRE_TITLE, OTHER_FIRE.title, FINAL_TITLE)]
    assert order == sorted(order)  # two outlets; then one each, the newer first


async def test_top_for_a_topic_and_within_subscriptions(retold):
    [reply] = await retold.say("/top спорт")
    assert reply["text"].startswith(texts.TOP_HEADER_FOR.format("Спорт"))
    assert FINAL_TITLE in reply["text"] and FIRE_TITLE not in reply["text"]
    await retold.say("/subscribe пожар")
    [mine] = await retold.say("/top")
    assert mine["text"].startswith(texts.TOP_HEADER_SUBS)
    assert FIRE_TITLE in mine["text"] and FINAL_TITLE not in mine["text"]


async def test_help_lists_top(harness):
    [reply] = await harness.say("/help")
    assert "/top" in reply["text"]
    assert ("top", "Главное за сутки") in texts.COMMANDS
