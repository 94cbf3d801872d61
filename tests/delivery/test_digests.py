"""Digests: due at each chat's own local time, once per day, with what matched since the last
one; sent through the local Bot API server with the clock in the test's hands."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.delivery.digests import commit_digests, due_period, enqueue_due_digests, plan_digests
from bot.delivery.messages import digest_messages
from bot.delivery.worker import run_delivery
from bot.render import MESSAGE_LIMIT
from bot.storage import articles
from bot.storage.deliveries import DigestChat
from bot.storage.schema import deliveries
from localapi import Fault

DAY = date(2026, 11, 26)


def utc(hour: int, minute: int = 0, day: int = 26) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("timezone", "now", "last", "due"),
    [
        ("Asia/Almaty", utc(3, 59), None, None),  # 08:59 in Almaty (UTC+5)
        ("Asia/Almaty", utc(4, 0), None, (DAY, utc(4))),
        ("Europe/Moscow", utc(4, 0), None, None),  # 07:00 in Moscow (UTC+3)
        ("Europe/Moscow", utc(6, 0), None, (DAY, utc(6))),
        (None, utc(6, 0), None, (DAY, utc(6))),  # the deployment's default: Europe/Moscow
        ("Europe/Moscow", utc(6, 30), utc(6, 0), None),  # already had today's
        ("Europe/Moscow", utc(6, 30), utc(5, 0, day=25), (DAY, utc(6))),  # late after downtime
        ("Asia/Almaty", utc(19, 30, day=25), None, None),  # 00:30 on the 26th there, slot 09:00
    ],
)
def test_a_digest_is_due_at_the_chats_own_local_time(timezone, now, last, due):
    chat = DigestChat(id=1, timezone=timezone, digest_time="09:00", last_digest_at=last)
    assert due_period(chat, now, "Europe/Moscow") == due


@pytest.mark.parametrize("digest_time", ["9 утра", "25:00", ""])
def test_a_malformed_digest_time_skips_that_chat(digest_time):
    chat = DigestChat(id=1, timezone=None, digest_time=digest_time, last_digest_at=None)
    assert due_period(chat, utc(12), "Europe/Moscow") is None


async def digest_rows(db) -> dict[int, tuple[str, list[int]]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(deliveries.c.chat_id, deliveries.c.item, deliveries.c.payload)
        )
        return {chat: (item, json.loads(payload)) for chat, item, payload in rows}


async def test_each_chat_gets_the_articles_it_matched_since_its_last_digest_once(
    world, make_settings
):
    settings = make_settings()
    almaty = await world.chat(1, timezone="Asia/Almaty", digest_time="09:00")
    moscow = await world.chat(
        2, timezone="Europe/Moscow", digest_time="09:00", topics=(), keywords=("хоккея",)
    )
    await world.chat(3, digest_time="09:00", topics=("culture",))  # nothing for it: no digest
    economy = await world.article("Курс рубля", ingested_at=utc(1))
    await world.article("Хоккей", topics=("sport",), ingested_at=utc(2))

    assert await enqueue_due_digests(world.db, settings, utc(3, 59)) == 0
    assert await enqueue_due_digests(world.db, settings, utc(4)) == 1
    hockey = economy + 1
    assert await digest_rows(world.db) == {almaty: ("digest:2026-11-26", [economy])}
    assert await enqueue_due_digests(world.db, settings, utc(6)) == 1
    assert (await digest_rows(world.db))[moscow] == ("digest:2026-11-26", [hockey])
    assert await enqueue_due_digests(world.db, settings, utc(7)) == 0  # once a day

    later = await world.article("Ставка ЦБ", ingested_at=utc(12))
    assert await enqueue_due_digests(world.db, settings, utc(4, day=27)) == 1
    assert (await digest_rows(world.db))[almaty] == ("digest:2026-11-27", [later])


@pytest.mark.parametrize("first_to_commit", ["earlier", "later"])
async def test_overlapping_passes_never_skip_an_article(world, make_settings, first_to_commit):
    """Two workers' passes both find the chat due, with windows ending at 06:00 and 07:00.
    Whichever commits first sends the day's digest; the other leaves the chat alone, so an
    article of 06:30 is in today's digest or in tomorrow's, never in neither."""
    settings = make_settings()
    await world.chat(1, digest_time="09:00")
    first = await world.article("Утренняя", ingested_at=utc(1))
    between = await world.article("Между проходами", ingested_at=utc(6, 30))
    earlier = await plan_digests(world.db, settings, utc(6))
    later = await plan_digests(world.db, settings, utc(7))
    order = [earlier, later] if first_to_commit == "earlier" else [later, earlier]
    done = [await commit_digests(world.db, plan, plan.until) for plan in order]
    assert done == [1, 0]
    today = (await digest_rows(world.db))[1]
    tomorrow_article = await world.article("Вечерняя", ingested_at=utc(18))
    assert await enqueue_due_digests(world.db, settings, utc(6, day=27)) == 1
    async with world.db.read() as conn:
        rows = await conn.execute(select(deliveries.c.item, deliveries.c.payload))
        by_day = {item: json.loads(payload) for item, payload in rows}
    assert by_day["digest:2026-11-26"] == today[1]
    sent = by_day["digest:2026-11-26"] + by_day["digest:2026-11-27"]
    assert sorted(sent) == [first, between, tomorrow_article]  # each once, none skipped


async def test_a_digest_keeps_the_newest_articles_up_to_the_limit(world, make_settings):
    await world.chat(1, digest_time="09:00")
    ids = [await world.article(f"Новость {n}", ingested_at=utc(1, n)) for n in range(5)]
    await enqueue_due_digests(world.db, make_settings(digest_max_articles=3), utc(6))
    assert (await digest_rows(world.db))[1][1] == ids[-3:]


async def test_a_long_digest_is_split_between_articles_under_topic_headings(sqlite_world):
    text = " ".join(f"Фраза номер {n} о событиях дня и их последствиях." for n in range(40))
    ids = [
        await sqlite_world.article(f"Статья {n}", text, topics=(topic,))
        for n, topic in enumerate(["sport", "economy"] * 6)
    ]
    async with sqlite_world.db.read() as conn:
        views = await articles.get_many(conn, ids)
    tz = UTC
    messages = [
        message.render()[0] for message in digest_messages(views, tz, DAY, summary_sentences=40)
    ]
    assert len(messages) > 1
    assert all(len(message) <= MESSAGE_LIMIT for message in messages)
    joined = "\n\n".join(messages)
    assert messages[0].startswith("Сводка · 26.11.2026")
    # Economy comes before sport in the catalogue; each heading once, before its articles.
    assert joined.index("Экономика") < joined.index("Статья 1\n") < joined.index("Спорт")
    assert joined.count("Спорт\n") == 1
    for n in range(12):  # no article is cut between two messages
        assert sum(f"Статья {n}\n" in message for message in messages) == 1


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_almaty_and_moscow_get_their_digests_at_their_own_nine_oclock(
    sqlite_world, make_settings, bot_api, bot
):
    await sqlite_world.chat(101, timezone="Asia/Almaty", digest_time="09:00")
    await sqlite_world.chat(102, timezone="Europe/Moscow", digest_time="09:00")
    await sqlite_world.article("Курс рубля вырос", ingested_at=utc(1))
    clock = Clock(utc(3, 59))
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_delivery(sqlite_world.db, bot, make_settings(), stop, clock=clock)
    )
    try:
        await asyncio.sleep(0.3)  # several checks at 08:59 in Almaty: nothing is due
        assert bot_api.sent_messages() == []
        clock.now = utc(4)  # 09:00 in Almaty, 07:00 in Moscow
        [almaty] = await bot_api.wait_sent(101)
        await asyncio.sleep(0.3)
        assert bot_api.sent_messages(102) == []
        clock.now = utc(6)  # 09:00 in Moscow
        [moscow] = await bot_api.wait_sent(102)
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        await worker
    for message in (almaty, moscow):
        assert message["text"].startswith("Сводка · 26.11.2026\n\nЭкономика\nКурс рубля вырос\n")
    # The article's time (01:00 UTC) in each chat's own zone.
    assert almaty["text"].endswith("06:00") and moscow["text"].endswith("04:00")
    assert len(bot_api.sent_messages()) == 2  # one each, however many checks ran


async def test_a_digest_interrupted_between_its_messages_resumes_after_the_sent_ones(
    sqlite_world, make_settings, bot_api, bot
):
    text = " ".join(f"Фраза номер {n} о событиях дня и их последствиях." for n in range(40))
    await sqlite_world.chat(7, digest_time="09:00")
    for n in range(6):
        await sqlite_world.article(f"Статья {n}", text, ingested_at=utc(1, n))
    stop = asyncio.Event()
    # Half a second between messages to the chat leaves time to break the second one.
    settings = make_settings(digest_summary_sentences=40, delivery_chat_rate=2)
    clock = Clock(utc(6))
    worker = asyncio.create_task(run_delivery(sqlite_world.db, bot, settings, stop, clock=clock))
    try:
        await bot_api.wait_sent(7)
        bot_api.fail(Fault.server_error(), chat_id=7)
        await until(sqlite_world.db, lambda row: row.attempts == 1)  # the failure is recorded
        clock.now += timedelta(seconds=settings.delivery_backoff_max)  # and its retry due
        await until(sqlite_world.db, lambda row: row.state == "sent")
    finally:
        stop.set()
        await worker
    texts = [message["text"] for message in bot_api.sent_messages(7)]
    assert len(texts) >= 3 and len(set(texts)) == len(texts)  # nothing sent twice
    assert [f"Статья {n}\n" in "".join(texts) for n in range(6)] == [True] * 6


async def until(db, holds) -> None:
    """Wait until the only outbox row satisfies `holds`."""
    async with asyncio.timeout(5):
        while True:
            async with db.read() as conn:
                if holds((await conn.execute(select(deliveries))).one()):
                    return
            await asyncio.sleep(0.02)
