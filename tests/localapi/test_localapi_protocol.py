"""A real aiogram Bot talks HTTP to the local Bot API server: results are complete objects
that aiogram parses, form fields are decoded, updates are long-polled with offsets."""

import asyncio

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from localapi import DEFAULT_USER, LocalBotAPI, channel_chat, group_chat, user

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Ещё", callback_data="more:1")],
        [
            InlineKeyboardButton(text="Спорт", callback_data="topic:sport"),
            InlineKeyboardButton(text="Сайт", url="https://example.org/"),
        ],
    ]
)


async def test_get_me_describes_the_bot_of_the_token(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "svodka_test_bot")


async def test_send_message_returns_the_full_message(bot_api: LocalBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(42, "<b>Сводка</b> за 5 &lt; 6 дней", reply_markup=KEYBOARD)

    assert sent.chat.id == 42 and sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == bot.id
    assert sent.text == "Сводка за 5 < 6 дней"
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 6)]
    assert sent.reply_markup.model_dump() == KEYBOARD.model_dump()
    assert bot_api.sent_messages(42)[0]["text"] == sent.text
    call = bot_api.calls_to("sendMessage")[0]
    assert call.params["chat_id"] == 42 and call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more:1"


async def test_message_ids_increase_per_chat(bot: Bot) -> None:
    ids = [(await bot.send_message(chat, "x")).message_id for chat in (1, 1, 2, 1)]
    assert ids == [1, 2, 1, 3]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", "Unmatched end tag"),
        ("   ", "message text is empty"),
        ("я" * 4097, "message is too long"),
    ],
)
async def test_bad_text_is_refused_like_telegram(bot: Bot, text: str, problem: str) -> None:
    with pytest.raises(TelegramBadRequest, match=problem):
        await bot.send_message(42, text)


async def test_html_links_and_nested_tags_become_entities(bot: Bot) -> None:
    sent = await bot.send_message(7, '<a href="https://x.ru/">Новость 🙂</a> <b>и <i>ещё</i></b>')
    assert sent.text == "Новость 🙂 и ещё"
    assert [(e.type, e.offset, e.length, e.url) for e in sent.entities or []] == [
        ("text_link", 0, 10, "https://x.ru/"),  # the emoji is two UTF-16 units
        ("bold", 11, 5, None),
        ("italic", 13, 3, None),
    ]


async def test_get_updates_waits_until_an_update_arrives(bot_api: LocalBotAPI, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.2)  # let the long poll start waiting
    injected = bot_api.inject_message("/start topic_sport")
    async with asyncio.timeout(2):
        updates = await poll

    assert [u.update_id for u in updates] == [injected["update_id"]]
    message = updates[0].message
    assert message is not None and message.text == "/start topic_sport"
    assert message.from_user is not None and message.from_user.id == DEFAULT_USER["id"]
    assert [(e.type, e.offset, e.length) for e in message.entities or []] == [("bot_command", 0, 6)]


async def test_confirmed_updates_are_not_delivered_again(bot_api: LocalBotAPI, bot: Bot) -> None:
    first, second = bot_api.inject_message("a"), bot_api.inject_message("b")

    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first["update_id"]]
    assert [u.update_id for u in await bot.get_updates()] == [
        first["update_id"],
        second["update_id"],
    ]
    assert await bot.get_updates(offset=second["update_id"] + 1) == []
    third = bot_api.inject_message("c")
    assert [u.update_id for u in await bot.get_updates(offset=second["update_id"] + 1)] == [
        third["update_id"]
    ]


async def test_the_same_update_can_be_injected_twice(bot_api: LocalBotAPI, bot: Bot) -> None:
    update = bot_api.inject_message("/latest")
    delivered = await bot.get_updates()
    bot_api.inject(update)
    again = await bot.get_updates(offset=delivered[-1].update_id + 1)
    assert [u.update_id for u in again] == [update["update_id"]]


async def test_injected_updates_of_every_kind_parse_in_aiogram(
    bot_api: LocalBotAPI, bot: Bot
) -> None:
    group = group_chat(-555, "Новости района")
    channel = channel_chat(-1001234, "Канал", username="svodka_channel")
    author = user(2002, "Борис")
    bot_api.inject_message("/latest@svodka_test_bot", user=author, chat=group)
    bot_api.inject_channel_post(channel, "Пост в канале")
    bot_api.inject_forward("Переслано из канала", from_chat=channel)
    bot_api.inject_forward("Переслано от человека", from_user=author)

    group_message, post, from_channel, from_person = [
        update.message or update.channel_post for update in await bot.get_updates()
    ]

    assert group_message.chat.type == "group" and group_message.from_user.id == 2002
    assert group_message.entities[0].length == len("/latest@svodka_test_bot")
    assert post.chat.username == "svodka_channel" and post.sender_chat.id == channel["id"]
    assert from_channel.forward_origin.chat.id == channel["id"]
    assert from_person.forward_origin.sender_user.id == 2002


async def test_a_button_press_carries_the_message_and_can_be_answered(
    bot_api: LocalBotAPI, bot: Bot
) -> None:
    sent = await bot.send_message(DEFAULT_USER["id"], "Дайджест", reply_markup=KEYBOARD)
    bot_api.inject_callback(bot_api.sent_messages()[0], data="topic:sport")
    bot_api.inject_callback(bot_api.sent_messages()[0], button=0)

    sport, more = [update.callback_query for update in await bot.get_updates()]

    assert (sport.data, more.data) == ("topic:sport", "more:1")
    assert sport.message.message_id == sent.message_id
    assert sport.from_user.id == DEFAULT_USER["id"]
    assert await bot.answer_callback_query(sport.id, text="Готово")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(sport.id)
    with pytest.raises(ValueError, match="no button with data"):
        bot_api.inject_callback(bot_api.sent_messages()[0], data="nope")


async def test_a_dispatcher_answers_an_injected_start(bot_api: LocalBotAPI, bot: Bot) -> None:
    router = Router()

    @router.message(CommandStart(), F.chat.type == "private")
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(f"Привет! Тема: <b>{command.args}</b>")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
    )
    bot_api.inject_message("/start topic_x")
    try:
        (reply,) = await bot_api.wait_sent(chat_id=DEFAULT_USER["id"])
    finally:
        await dispatcher.stop_polling()
        await polling

    assert reply["text"] == "Привет! Тема: topic_x"
    assert reply["entities"] == [{"type": "bold", "offset": 14, "length": 7}]


async def test_shutdown_is_prompt_during_a_long_poll(bot: Bot) -> None:
    async with LocalBotAPI() as api:
        bot.session.api = type(bot.session.api).from_base(api.base_url)
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.2)  # the poll is now waiting on the server
        async with asyncio.timeout(2):
            await api.stop()
            assert await poll == []


async def test_unknown_methods_and_tokens_get_telegram_errors(bot_api: LocalBotAPI) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{bot_api.base_url}/bot1:x/sendTelepathy") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.post(f"{bot_api.base_url}/botnot-a-token/getMe") as response:
            assert response.status == 401


async def test_json_bodies_are_accepted_too(bot_api: LocalBotAPI) -> None:
    body = {"chat_id": 9, "text": "из JSON", "reply_markup": {"inline_keyboard": []}}
    url = f"{bot_api.base_url}/bot1:x/sendMessage"
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as response:
        answer = await response.json()
    assert answer["ok"] and answer["result"]["text"] == "из JSON"
    assert bot_api.sent_messages(9)[0]["chat"]["id"] == 9
