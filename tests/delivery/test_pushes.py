"""Instant pushes: new articles found through the database reach the chats that want them,
also when another process stored them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.config import Settings
from bot.delivery.pushes import scan_new_articles
from bot.delivery.worker import run_delivery
from bot.storage import articles as stored_articles
from bot.storage import chats
from bot.storage.schema import articles, deliveries, utcnow
from tests.support.databases import sample_article

REPO = Path(__file__).resolve().parents[2]


async def pushed(db) -> set[tuple[int, str]]:
    async with db.read() as conn:
        rows = await conn.execute(select(deliveries.c.chat_id, deliveries.c.item))
        return set(map(tuple, rows))


async def test_a_new_article_is_pushed_to_instant_chats_whose_topics_or_keywords_match(
    world, make_settings
):
    settings = make_settings()
    await world.article("До подписки")
    assert await scan_new_articles(world.db, settings, utcnow()) == 0  # nobody wanted it then
    await world.chat(1, instant=True)  # economy
    await world.chat(2, instant=True, topics=(), keywords=("рубль",))
    await world.chat(3, instant=False)  # digest only
    await world.chat(4, instant=True)
    await world.chat(5, instant=True, topics=("sport",))
    async with world.db.transaction() as conn:
        await chats.deactivate_chat(conn, 4, "Forbidden: bot was blocked by the user")

    article = await world.article("Курс рубля вырос", topics=("economy",))
    assert await scan_new_articles(world.db, settings, utcnow()) == 2
    assert await pushed(world.db) == {(1, f"article:{article}"), (2, f"article:{article}")}
    assert await scan_new_articles(world.db, settings, utcnow()) == 0  # each article once


async def test_an_old_article_imported_now_is_not_pushed(world, make_settings):
    settings = make_settings()
    await scan_new_articles(world.db, settings, utcnow())
    await world.chat(1, instant=True)
    old = await world.article("Архивная новость")
    async with world.db.transaction() as conn:
        await conn.execute(
            update(articles)
            .where(articles.c.id == old)
            .values(published_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
    fresh = await world.article("Свежая новость")
    await scan_new_articles(world.db, settings, utcnow())
    assert await pushed(world.db) == {(1, f"article:{fresh}")}


@pytest.mark.processes
async def test_an_article_ingested_by_another_process_is_pushed_within_ten_seconds(
    sqlite_world, make_settings, bot_api, bot, tmp_path
):
    """`svodka ingest` in its own process; the running worker finds it through the database."""
    await sqlite_world.chat(77, instant=True, topics=(), keywords=("метеорит",))
    stop = asyncio.Event()
    default = Settings.model_fields["push_scan_interval"].default
    settings = make_settings(push_scan_interval=default)
    worker = asyncio.create_task(run_delivery(sqlite_world.db, bot, settings, stop))
    page = tmp_path / "meteorite.txt"
    page.write_text(
        "Над Челябинском пролетел метеорит\n\n"
        "Вечером над городом пролетел яркий метеорит. Его видели тысячи жителей. "
        "Учёные уже ищут осколки метеорита в окрестностях озера.\n",
        encoding="utf-8",
    )
    env = {**os.environ, "SVODKA_DATABASE_URL": str(sqlite_world.db.url)}
    try:
        ingest = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "ingest", str(page), cwd=REPO, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await ingest.communicate()
        assert ingest.returncode == 0, output.decode()
        stored = time.monotonic()
        [message] = await bot_api.wait_sent(77, timeout=10)
        latency = time.monotonic() - stored
    finally:
        stop.set()
        await worker
    assert message["text"].startswith("Над Челябинском пролетел метеорит")
    assert latency < 10
    print(f"\npushed {latency:.1f} s after the ingest process stored it")


async def test_an_article_committed_after_a_newer_one_is_pushed_too(postgres_world, make_settings):
    """Two writers: the one holding the older id commits last. A scanner that remembered "the
    newest id seen" moved past it; the push queue hands it over when it commits."""
    settings = make_settings()
    await postgres_world.chat(1, instant=True)
    await postgres_world.article("Тема уже есть")
    await scan_new_articles(postgres_world.db, settings, utcnow())
    async with postgres_world.db.transaction() as slow:
        older = await stored_articles.insert(
            slow, sample_article("Долгая запись", "Текст статьи.", key="slow")
        )
        newer = await postgres_world.article("Быстрая запись")
        assert newer > older
        assert await scan_new_articles(postgres_world.db, settings, utcnow()) == 1
    assert await scan_new_articles(postgres_world.db, settings, utcnow()) == 1
    assert {(1, f"article:{older}"), (1, f"article:{newer}")} <= await pushed(postgres_world.db)


async def test_two_scanners_at_once_push_each_article_once(postgres_world, make_settings):
    settings = make_settings()
    for chat in range(1, 21):
        await postgres_world.chat(chat, instant=True)
    stored = [await postgres_world.article(f"Новость {n}") for n in range(30)]
    counts = await asyncio.gather(
        *(scan_new_articles(postgres_world.db, settings, utcnow()) for _ in range(3))
    )
    assert sum(counts) == 20 * 30  # rows added: none twice, none missed
    expected = {(chat, f"article:{article}") for chat in range(1, 21) for article in stored}
    assert await pushed(postgres_world.db) == expected
