"""Bot administrators: /add (text, link, forward), /feeds, /feed, /stats; refusals for others."""

from __future__ import annotations

import re

import pytest

from bot import texts
from bot.handlers.admin import in_russian
from bot.storage import articles, sources
from tests.ingest.test_pipeline import SEED_FILES

ARTICLE = (
    "Заречный мост откроют после ремонта в декабре\n\n"
    "Движение по Заречному мосту откроют после капитального ремонта в середине декабря, "
    "сообщили в мэрии. Подрядчик заменил пролеты и покрытие, сейчас идут испытания нагрузкой. "
    "Ремонт обошелся городскому бюджету в 1,2 млрд рублей. По мосту проходит около 40 тыс. "
    "машин в сутки, на время работ транспорт пустили в объезд через промзону."
)


async def archive_size(harness) -> int:
    async with harness.db.read() as conn:
        return await articles.count(conn)


@pytest.mark.parametrize(
    "command",
    ["/add " + ARTICLE, "/feeds", "/feed add https://example.com/rss", "/stats"],
)
async def test_non_admin_is_refused(harness, command):
    before = await archive_size(harness)
    [reply] = await harness.say(command)
    assert reply["text"] == texts.NOT_ADMIN
    assert await archive_size(harness) == before


async def test_admin_help_lists_admin_commands(harness):
    [reply] = await harness.say("/help", user=harness.admin)
    assert "/add" in reply["text"] and "/stats" in reply["text"]


async def test_add_text_answers_with_the_summary_then_knows_the_duplicate(harness):
    before = await archive_size(harness)
    [reply] = await harness.say("/add " + ARTICLE, user=harness.admin)
    assert reply["text"].startswith("Заречный мост откроют после ремонта в декабре\n")
    assert "млрд рублей" in reply["text"]
    assert await archive_size(harness) == before + 1
    replies = await harness.say("/add " + ARTICLE, user=harness.admin, count=2)
    assert replies[0]["text"] == texts.ADD_DUPLICATE
    assert await archive_size(harness) == before + 1


async def test_add_forwarded_post_in_private(harness):
    origin = {"id": -1001, "type": "channel", "title": "Вестник Заречного"}
    before = len(harness.api.sent_messages(harness.admin["id"]))
    harness.api.inject_forward(ARTICLE, from_chat=origin, user=harness.admin)
    [reply] = (await harness.api.wait_sent(harness.admin["id"], count=before + 1))[before:]
    assert reply["text"].startswith("Заречный мост")
    assert "Вестник Заречного" in reply["text"]  # the source name in the footer


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/add", texts.ADD_USAGE),
        ("/add коротко", "Не получилось добавить: не нашёл текста статьи."),
        ("/add http://127.0.0.1:9/page", "Не получилось добавить: 127.0.0.1 — адрес внутренней"),
        ("http://127.0.0.1:9/page", "Не получилось добавить: 127.0.0.1 — адрес внутренней"),
        (
            "/add https://nowhere.invalid/x",
            "Не получилось добавить: не нашёл сайт nowhere.invalid.",
        ),
    ],
)
async def test_add_refuses_bad_input(harness, command, answer):
    [reply] = await harness.say(command, user=harness.admin)
    assert reply["text"].startswith(answer.split("<")[0])


async def test_feed_add_list_remove(harness):
    [reply] = await harness.say("/feeds", user=harness.admin)
    assert reply["text"].startswith("Лент нет")
    [reply] = await harness.say("/feed add http://127.0.0.1/rss", user=harness.admin)
    assert reply["text"].startswith("Не получилось добавить: 127.0.0.1 — адрес внутренней")
    [reply] = await harness.say("/feed add https://93.184.216.34/rss", user=harness.admin)
    assert reply["text"] == texts.FEED_ADDED
    [reply] = await harness.say("/feeds", user=harness.admin)
    title, name, every, polls = reply["text"].splitlines()
    assert (title, name, every) == (
        "Ленты (1):",
        "1. https://93.184.216.34/rss",
        "   каждые 15 мин · статей за сутки: 0",
    )
    assert polls.startswith("   последний удачный опрос: не было · следующий: ")
    [reply] = await harness.say("/feed remove https://93.184.216.34/rss", user=harness.admin)
    assert reply["text"] == texts.FEED_REMOVED
    [reply] = await harness.say("/feed remove https://93.184.216.34/rss", user=harness.admin)
    assert reply["text"] == texts.FEED_NOT_FOUND
    [reply] = await harness.say("/feed", user=harness.admin)
    assert reply["text"].startswith("Напишите /feed add")


async def test_stats(harness):
    await harness.say("/start")
    [reply] = await harness.say("/stats", user=harness.admin)
    lines = reply["text"].splitlines()
    assert lines[0] == "Статистика"
    assert lines[1] == f"Статей: {len(SEED_FILES)}"
    assert lines[2].startswith("По темам: ") and "Экономика" in lines[2]
    assert lines[3] == "Чатов: 1 (личных 1, групп 0, каналов 0)"
    assert re.fullmatch(r"База данных: \d+\.\d МБ", lines[5]) and lines[5] != "База данных: 0.0 МБ"
    assert lines[-1] == texts.STATS_NO_ERRORS


@pytest.mark.parametrize(
    ("problem", "shown"),
    [
        ("unknown host news.example", "не нашёл сайт news.example"),
        ("no answer within 20 s", "сайт не ответил за 20 с"),
        ("HTTP 404 Not Found", "сайт ответил ошибкой 404"),
        ("larger than 5 MB", "страница больше 5 МБ"),
        ("not a web page (image/png)", "по ссылке не веб-страница"),
        ("no article text (3 words)", "не нашёл текста статьи"),
        ("something new", "something new"),
    ],
)
def test_ingest_problems_are_told_in_russian(problem, shown):
    assert in_russian(problem) == shown


async def test_feeds_marks_a_feed_failing_for_more_than_a_day(harness):
    from datetime import timedelta

    from bot.storage import sources
    from bot.storage.schema import utcnow

    async with harness.db.transaction() as conn:
        feed = await sources.add_feed(conn, "https://broken.example/rss", poll_interval=900)
        for hours_ago in (30, 1):
            feed = await sources.get_feed(conn, feed.id)
            await sources.record_failure(
                conn, feed, utcnow() - timedelta(hours=hours_ago), error="HTTP 502 <b>",
                max_backoff=3600,
            )  # fmt: skip
    [reply] = await harness.say("/feeds", user=harness.admin)
    lines = reply["text"].splitlines()
    assert lines[1] == "1. https://broken.example/rss"
    assert lines[4].startswith("   ⚠ ошибка ") and lines[4].endswith(": HTTP 502 <b>")
    assert lines[5].startswith("   ❗ не работает больше суток (с ")


async def test_feeds_come_a_page_at_a_time_with_more(harness):
    async with harness.db.transaction() as conn:
        for number in range(1, 24):
            await sources.add_feed(conn, f"https://93.184.216.34/{number}/rss")
    [first] = await harness.say("/feeds", user=harness.admin)
    assert first["text"].startswith("Ленты (23):\n1. https://93.184.216.34/1/rss")
    assert "\n10. " in first["text"] and "\n11. " not in first["text"]
    await harness.press(first, user=harness.admin)
    second = harness.api.sent_messages(harness.admin["id"])[-1]
    assert "\n11. https://93.184.216.34/11/rss" in second["text"]
    await harness.press(second, user=harness.admin)
    last = harness.api.sent_messages(harness.admin["id"])[-1]
    assert "\n23. " in last["text"] and "reply_markup" not in last
