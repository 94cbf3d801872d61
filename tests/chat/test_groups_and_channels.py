"""Groups (commands addressed to the bot, admins configure) and channels (/channel)."""

from __future__ import annotations

import pytest

from bot import texts
from bot.storage import chats
from localapi import channel_chat, group_chat, user

BOT_ID = 123456  # from the harness token
GROUP = group_chat(-500, "Читатели <новостей> & друзья")
CHANNEL = channel_chat(-1001234567890, "Новости Заречного", username="zarechny_news")
STRANGER = user(2002, "Борис")


async def stored(harness, chat_id: int) -> tuple[chats.Chat | None, list[tuple[str, str]]]:
    async with harness.db.read() as conn:
        chat = await chats.get_chat(conn, chat_id)
        subs = await chats.list_subscriptions(conn, chat_id)
    return chat, [(sub.kind, sub.value) for sub in subs]


# --- groups -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", ["/latest", "/latest@svodka_test_bot", "/latest@Svodka_Test_Bot"]
)
async def test_group_answers_commands_for_this_bot(harness, command):
    [reply] = await harness.say(command, chat=GROUP)
    assert reply["text"].startswith(texts.LATEST_HEADER_ALL)


@pytest.mark.parametrize(
    "text", ["/latest@other_bot", "просто разговор", "/whatever", "/start@other_bot"]
)
async def test_group_ignores_what_is_not_for_this_bot(harness, text):
    assert await harness.silence(text, chat=GROUP) == []


async def test_group_unknown_command_addressed_to_the_bot_points_to_help(harness):
    [reply] = await harness.say("/whatever@svodka_test_bot", chat=GROUP)
    assert reply["text"] == texts.UNKNOWN_COMMAND


async def test_group_settings_need_a_group_admin(harness):
    [reply] = await harness.say("/subscribe спорт", chat=GROUP)
    assert reply["text"] == texts.ONLY_ADMINS
    assert (await stored(harness, GROUP["id"]))[1] == []
    harness.api.set_member(GROUP["id"], harness.user["id"], "administrator")
    reply, asked = await harness.say("/subscribe спорт", chat=GROUP, count=2)
    assert reply["text"].startswith("Готово")
    assert asked["text"].startswith("Как присылать новости?")  # the group's first subscription
    chat, subs = await stored(harness, GROUP["id"])
    assert chat.kind == "group" and chat.title == GROUP["title"] and subs == [("topic", "sport")]


async def test_an_anonymous_group_admin_configures_the_group(harness):
    anonymous = user(1087968824, "Group", username="GroupAnonymousBot", is_bot=True)
    harness.api.inject_message("/subscribe спорт", user=anonymous, chat=GROUP, sender_chat=GROUP)
    [reply] = await harness.api.wait_sent(GROUP["id"])
    await harness.settle()
    assert reply["text"].startswith("Готово")
    assert (await stored(harness, GROUP["id"]))[1] == [("topic", "sport")]


async def test_group_topic_button_by_a_non_admin_is_refused(harness):
    [keyboard] = await harness.say("/topics", chat=GROUP)
    answer = await harness.press(keyboard, button=0)
    assert answer["text"] == texts.ONLY_ADMINS and answer["show_alert"] is True
    assert (await stored(harness, GROUP["id"]))[1] == []


async def test_group_that_became_a_supergroup_keeps_its_subscriptions(harness):
    harness.api.set_member(GROUP["id"], harness.user["id"], "administrator")
    await harness.say("/subscribe спорт", chat=GROUP)
    new_id = -1009999
    harness.api.inject_message("", chat=GROUP, migrate_to_chat_id=new_id)
    await harness.say("/help", chat=GROUP)  # handled in order, after the migration
    assert (await stored(harness, GROUP["id"]))[0] is None
    chat, subs = await stored(harness, new_id)
    assert chat.kind == "supergroup" and subs == [("topic", "sport")]


async def test_bot_removed_from_a_group_deactivates_it(harness):
    harness.api.set_member(GROUP["id"], harness.user["id"], "administrator")
    await harness.say("/subscribe спорт", chat=GROUP)
    bot_user = user(BOT_ID, "Svodka", is_bot=True)
    harness.api.inject({"my_chat_member": {
        "chat": GROUP, "from": harness.user, "date": 0,
        "old_chat_member": {"status": "member", "user": bot_user},
        "new_chat_member": {"status": "kicked", "user": bot_user, "until_date": 0},
    }})  # fmt: skip
    await harness.say("/help")  # the same user's next update: handled after the first
    chat, _ = await stored(harness, GROUP["id"])
    assert not chat.active


# --- channels -----------------------------------------------------------------------------


@pytest.fixture
def channel(harness):
    harness.api.add_chat(CHANNEL)
    return CHANNEL


async def test_channel_add_by_a_non_admin_is_refused(harness, channel):
    [reply] = await harness.say("/channel add @zarechny_news спорт")
    assert reply["text"] == texts.CHANNEL_CALLER_NOT_ADMIN.format("@zarechny_news")
    assert (await stored(harness, channel["id"]))[0] is None


async def test_channel_add_when_the_bot_cannot_post_says_so(harness, channel):
    harness.api.set_member(channel["id"], harness.user["id"], "creator")
    harness.api.set_member(channel["id"], BOT_ID, "administrator", can_post_messages=False)
    [reply] = await harness.say("/channel add @zarechny_news спорт")
    assert reply["text"].startswith("Я не могу публиковать в @zarechny_news")


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        ("add @nobody_here спорт", "Не нашёл чат @nobody_here"),
        ("add @zarechny_news", "Напишите темы для канала"),
        ("add @zarechny_news кошки 09:00", "Не знаю тем: кошки"),
        ("add @zarechny_news 09:00", "Напишите темы для канала"),
        ("remove @zarechny_news", "@zarechny_news не подключён"),
        ("", "Как подключить канал"),
        ("frobnicate", "Как подключить канал"),
    ],
)
async def test_channel_bad_input(harness, channel, args, answer):
    [reply] = await harness.say(f"/channel {args}".strip())
    assert reply["text"].startswith(answer)


@pytest.mark.parametrize(
    ("args", "digest_time", "zone", "label"),
    [
        ("спорт 07:00 Asia/Novosibirsk", "07:00", "Asia/Novosibirsk", "Asia/Novosibirsk"),
        ("спорт 07:00 +7", "07:00", "Etc/GMT-7", "UTC+7"),
        ("спорт asia/yekaterinburg", None, "Asia/Yekaterinburg", None),
    ],
)
async def test_channel_add_with_a_timezone(harness, channel, args, digest_time, zone, label):
    harness.api.set_member(channel["id"], harness.user["id"], "administrator")
    harness.api.set_member(channel["id"], BOT_ID, "administrator")
    [reply] = await harness.say(f"/channel add @zarechny_news {args}")
    assert reply["text"].startswith("Готово")
    assert label is None or f"в {digest_time} ({label})" in reply["text"]
    chat, subs = await stored(harness, channel["id"])
    assert (chat.digest_time, chat.timezone, subs) == (digest_time, zone, [("topic", "sport")])


async def test_channel_add_list_remove(harness, channel):
    harness.api.set_member(channel["id"], harness.user["id"], "administrator")
    harness.api.set_member(channel["id"], BOT_ID, "administrator")
    [reply] = await harness.say("/channel add @zarechny_news спорт, в мире 08:30")
    assert reply["text"] == (
        "Готово: сводка в @zarechny_news каждый день в 08:30 (Europe/Moscow) "
        "по темам: Спорт, В мире."
    )
    chat, subs = await stored(harness, channel["id"])
    assert (chat.kind, chat.digest_time, chat.instant, chat.added_by) == (
        "channel", "08:30", False, harness.user["id"],
    )  # fmt: skip
    assert subs == [("topic", "sport"), ("topic", "world")]

    [reply] = await harness.say("/channel add @zarechny_news наука")
    assert reply["text"].startswith("Готово: публикую в @zarechny_news каждую новость")
    chat, subs = await stored(harness, channel["id"])
    assert chat.instant and chat.digest_time is None and subs == [("topic", "science")]

    [listing] = await harness.say("/channel list")
    assert listing["text"] == "Ваши каналы:\n@zarechny_news — Наука, сразу"
    [reply] = await harness.say("/channel list", user=STRANGER)
    assert reply["text"] == texts.CHANNEL_LIST_EMPTY

    [reply] = await harness.say("/channel remove @zarechny_news", user=STRANGER)
    assert reply["text"].startswith("Вы не администратор")
    [reply] = await harness.say("/channel remove @zarechny_news")
    assert reply["text"] == "Отключил @zarechny_news."
    chat, subs = await stored(harness, channel["id"])
    assert not chat.active and subs == []
