"""A user in a private chat: every command and button, over HTTP through the local server."""

from __future__ import annotations

import html
import re

import pytest

from bot import texts
from bot.storage import chats

TOKAYEV = "Алматы необходимо развивать креативную экономику, считает Токаев"
NOISE = ("Фото", "• 3658", "Еще по теме", "Свежее из этой рубрики")


def as_received(html_text: str) -> str:
    """Our HTML template as the user's client shows it."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def button_labels(message: dict) -> list[str]:
    rows = message["reply_markup"]["inline_keyboard"]
    return [button["text"] for row in rows for button in row]


async def subscriptions(harness) -> list[tuple[str, str]]:
    async with harness.db.read() as conn:
        subs = await chats.list_subscriptions(conn, harness.user["id"])
    return [(sub.kind, sub.value) for sub in subs]


async def stored_chat(harness) -> chats.Chat:
    async with harness.db.read() as conn:
        return await chats.get_chat(conn, harness.user["id"])


# --- start, help, menu --------------------------------------------------------------------


async def test_start_greets_with_the_topic_keyboard(harness):
    [greeting] = await harness.say("/start")
    assert "Сводка" in greeting["text"]
    assert "Экономика" in button_labels(greeting)
    commands = harness.api.calls_to("setMyCommands")
    assert {command["command"] for command in commands[0].params["commands"]} >= {
        "latest", "topics", "subscribe", "search", "settings", "help",
    }  # fmt: skip
    assert all(command["description"][0].isupper() for command in commands[0].params["commands"])


@pytest.mark.parametrize(
    ("payload", "subscribed"),
    [("topic_sport", [("topic", "sport")]), ("topic_nonsense", []), ("hello", [])],
)
async def test_start_deep_link(harness, payload, subscribed):
    await harness.say(f"/start {payload}", count=len(subscribed) + 1)
    assert await subscriptions(harness) == subscribed


async def test_help_lists_every_command_with_an_example(harness):
    [reply] = await harness.say("/help")
    every = "latest topics subscribe unsubscribe mysubs search digest schedule timezone instant"
    for command in [*every.split(), "settings", "channel"]:
        assert f"/{command}" in reply["text"]
    assert "/add" not in reply["text"]  # admin commands only for admins


# --- topics and subscriptions -------------------------------------------------------------


async def test_topic_button_toggles_and_marks_the_keyboard(harness):
    [keyboard] = await harness.say("/topics")
    answer = await harness.press(keyboard, button=1)  # Экономика
    assert "Экономика" in answer["text"]
    assert "✅ Экономика" in button_labels(harness.current(keyboard))
    assert await subscriptions(harness) == [("topic", "economy")]
    await harness.press(keyboard, button=1)
    assert "✅ Экономика" not in button_labels(harness.current(keyboard))
    assert await subscriptions(harness) == []


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("economy", ("topic", "economy")),
        ("Экономика", ("topic", "economy")),
        ("ЭКОНОМИКЕ", ("topic", "economy")),
        ("в мире", ("topic", "world")),
        ("кометы", ("keyword", "комета")),
    ],
)
async def test_subscribe_by_slug_name_or_keyword(harness, words, expected):
    # A new chat's first subscription also asks how to deliver (test_reader_controls.py).
    reply, asked = await harness.say(f"/subscribe {words}", count=2)
    assert reply["text"].startswith("Готово")
    assert asked["text"].startswith("Как присылать новости?")
    assert await subscriptions(harness) == [expected]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/subscribe", texts.SUBSCRIBE_USAGE),
        ("/unsubscribe", texts.UNSUBSCRIBE_USAGE),
        ("/subscribe ,,, !!!", texts.BAD_KEYWORD),
        ("/search", texts.SEARCH_USAGE),
        ("/schedule", texts.SCHEDULE_USAGE),
        ("/timezone", texts.TIMEZONE_USAGE),
        ("/instant", texts.INSTANT_USAGE),
        ("/instant maybe", texts.INSTANT_USAGE),
    ],
)
async def test_missing_or_bad_argument_explains_usage(harness, command, answer):
    [reply] = await harness.say(command)
    assert reply["text"] == as_received(answer)


async def test_unsubscribe_one_all_and_unknown(harness):
    await harness.say("/subscribe спорт")
    await harness.say("/subscribe биткоин")
    [reply] = await harness.say("/unsubscribe Спорт")
    assert reply["text"] == "Отписал от «Спорт»."
    [reply] = await harness.say("/unsubscribe кошки")
    assert "Подписки «кошки» нет" in reply["text"]
    await harness.say("/subscribe культура")
    [reply] = await harness.say("/unsubscribe all")
    assert reply["text"] == texts.UNSUBSCRIBED_ALL.format(2)
    assert await subscriptions(harness) == []


async def test_mysubs_lists_and_removes_by_button(harness):
    [reply] = await harness.say("/mysubs")
    assert reply["text"] == texts.NO_SUBSCRIPTIONS
    await harness.say("/subscribe спорт")
    await harness.say("/subscribe биткоин")
    [listing] = await harness.say("/mysubs")
    assert button_labels(listing) == ["✖ Спорт", "✖ 🔎 биткоин"]
    await harness.press(listing, button=0)
    assert button_labels(harness.current(listing)) == ["✖ 🔎 биткоин"]
    await harness.press(harness.current(listing), button=0)
    assert harness.current(listing)["text"] == texts.NO_SUBSCRIPTIONS
    assert await subscriptions(harness) == []


# --- latest and search --------------------------------------------------------------------


async def test_latest_shows_clean_summaries_with_title_topics_and_time(harness):
    [reply] = await harness.say("/latest")
    assert TOKAYEV in reply["text"]
    assert not any(noise in reply["text"] for noise in NOISE)
    assert "#экономика" in reply["text"]
    bold = [entity for entity in reply["entities"] if entity["type"] == "bold"]
    assert bold, "titles are bold"
    assert reply["text"].count("26.") or reply["text"].count(".20")  # a dd.mm.yyyy time


async def test_latest_pages_back_with_more(harness):
    [first] = await harness.say("/latest 3")
    await harness.press(first)
    await harness.api.wait_sent(harness.user["id"], count=2)
    await harness.settle()
    second = harness.api.sent_messages(harness.user["id"])[-1]
    assert first["text"].count("\n#") == 3 and second["text"].count("\n#") == 3
    assert not set(first["text"].split("\n\n")) & set(second["text"].split("\n\n"))


@pytest.mark.parametrize(
    ("command", "expect"),
    [
        ("/latest спорт", "Ледокол"),
        ("/latest Культура 1", "Онегин"),
        ("/latest комета", "комет"),
    ],
)
async def test_latest_for_topic_or_keyword(harness, command, expect):
    [reply] = await harness.say(command)
    assert expect in reply["text"]
    assert TOKAYEV not in reply["text"]


async def test_latest_follows_subscriptions(harness):
    await harness.say("/subscribe спорт")
    [reply] = await harness.say("/latest")
    assert reply["text"].startswith(texts.LATEST_HEADER_SUBS)
    assert "#спорт" in reply["text"] and TOKAYEV not in reply["text"]


@pytest.mark.parametrize("count", ["0", "-3"])
async def test_latest_zero_is_refused(harness, count):
    [reply] = await harness.say(f"/latest {count}")
    assert reply["text"].startswith("Число статей — от 1 до 20")


async def test_latest_1000_is_capped_at_20(harness):
    replies = await harness.say("/latest 1000", count=2)
    assert replies[0]["text"] == texts.LATEST_CAPPED.format(20)
    shown = sum(reply["text"].count("\n#") for reply in replies[1:])
    assert shown == 15  # the whole seeded archive, under the cap
    assert all(len(reply["text"]) <= 4096 for reply in replies)


async def test_latest_unknown_keyword_says_nothing_found(harness):
    [reply] = await harness.say("/latest квазикристаллы")
    assert reply["text"] == "По запросу «квазикристаллы» пока ничего нет."


async def test_search_ranks_and_pages(harness):
    [reply] = await harness.say("/search креативная экономика")
    assert reply["text"].startswith("Найдено: креативная экономика")
    assert TOKAYEV in reply["text"]
    [reply] = await harness.say("/search абракадабра")
    assert reply["text"] == "По запросу «абракадабра» ничего не нашёл."


async def test_search_more_pages_on(harness):
    [first] = await harness.say("/search заречного")
    assert first["text"].count("\n#") == 5 and button_labels(first) == [texts.MORE]
    await harness.press(first)
    await harness.api.wait_sent(harness.user["id"], count=2)
    await harness.settle()
    second = harness.api.sent_messages(harness.user["id"])[-1]
    assert second["text"].count("\n#") >= 1
    assert not set(first["text"].split("\n\n")[1:]) & set(second["text"].split("\n\n"))


# --- digest and settings ------------------------------------------------------------------


async def test_digest_now_groups_by_topic(harness):
    await harness.say("/subscribe спорт")
    [reply] = await harness.say("/digest")
    assert reply["text"].startswith(texts.DIGEST_HEADER)
    assert "Ледокол" in reply["text"] and TOKAYEV not in reply["text"]


@pytest.mark.parametrize(
    ("command", "stored", "answer"),
    [
        ("/schedule 9:05", "09:05", "Ежедневная сводка в 09:05"),
        ("/schedule 25:99", None, "Не понял время"),
        ("/schedule 12:60", None, "Не понял время"),
        ("/schedule off", None, texts.SCHEDULE_OFF),
    ],
)
async def test_schedule(harness, command, stored, answer):
    [reply] = await harness.say(command)
    assert reply["text"].startswith(answer)
    chat = await stored_chat(harness)
    assert (chat.digest_time if chat else None) == stored


@pytest.mark.parametrize(
    ("value", "stored", "shown"),
    [
        ("asia/almaty", "Asia/Almaty", "Asia/Almaty"),
        ("+5", "Etc/GMT-5", "UTC+5"),
        ("UTC-3", "Etc/GMT+3", "UTC-3"),
        ("Mars/Olympus", None, None),
        ("+20", None, None),
    ],
)
async def test_timezone(harness, value, stored, shown):
    [reply] = await harness.say(f"/timezone {value}")
    chat = await stored_chat(harness)
    assert (chat.timezone if chat else None) == stored
    if shown:
        assert reply["text"].startswith(f"Часовой пояс: {shown}.")
    else:
        assert reply["text"].startswith("Не знаю такого пояса")


async def test_timezone_changes_the_shown_time(harness):
    [moscow] = await harness.say("/latest 1")
    await harness.say("/timezone UTC")
    [utc] = await harness.say("/latest 1")
    moscow_hour = int(moscow["text"].rsplit(" ", 1)[1][:2])
    utc_hour = int(utc["text"].rsplit(" ", 1)[1][:2])
    assert (moscow_hour - utc_hour) % 24 == 3


async def test_instant_on_off(harness):
    [reply] = await harness.say("/instant on")
    assert reply["text"].startswith(texts.INSTANT_ON)
    assert (await stored_chat(harness)).instant
    [reply] = await harness.say("/instant off")
    assert reply["text"] == texts.INSTANT_OFF
    assert not (await stored_chat(harness)).instant


async def test_settings_buttons_edit_in_place(harness):
    [panel] = await harness.say("/settings")
    assert "Ежедневная сводка: выключена" in panel["text"]
    await harness.press(panel, button=0)  # instant on
    assert "Новости сразу: включены" in harness.current(panel)["text"]
    await harness.press(harness.current(panel), button=2)  # digest at 09:00
    assert "Ежедневная сводка: 09:00" in harness.current(panel)["text"]
    chat = await stored_chat(harness)
    assert chat.instant and chat.digest_time == "09:00"
    await harness.press(harness.current(panel), button=6)  # "Темы"
    topics = (await harness.api.wait_sent(harness.user["id"], count=2))[-1]
    assert topics["text"] == texts.TOPICS_TITLE
