"""The rest of the Bot API the bot uses: edits, deletes, commands, chats and members."""

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from localapi import DEFAULT_USER, LocalBotAPI, channel_chat, make_bot

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Ещё", callback_data="more:2")]]
)
CHANNEL = channel_chat(-1009876, "Сводка дня", username="svodka_daily")


async def test_edit_text_replaces_the_text_and_drops_an_unrepeated_keyboard(
    bot_api: LocalBotAPI, bot: Bot
) -> None:
    sent = await bot.send_message(42, "было", reply_markup=KEYBOARD)
    kept = await bot.edit_message_text(
        "стало", chat_id=42, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    dropped = await bot.edit_message_text("<i>снова</i>", chat_id=42, message_id=sent.message_id)

    assert kept.text == "стало" and kept.reply_markup is not None and kept.edit_date
    assert dropped.text == "снова" and dropped.reply_markup is None
    assert bot_api.message(42, sent.message_id)["text"] == "снова"
    assert bot_api.sent_messages(42)[0]["text"] == "было"  # the record keeps what was sent
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("<i>снова</i>", chat_id=42, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("нет", chat_id=42, message_id=999)


async def test_edit_reply_markup_and_press_the_new_button(bot_api: LocalBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(DEFAULT_USER["id"], "дайджест")
    await bot.edit_message_reply_markup(
        chat_id=sent.chat.id, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    bot_api.inject_callback(bot_api.sent_messages()[0])  # the message as it is now
    (update,) = await bot.get_updates()
    assert update.callback_query.data == "more:2"


async def test_delete_message(bot_api: LocalBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(42, "удалить")
    assert await bot.delete_message(42, sent.message_id)
    assert bot_api.message(42, sent.message_id) is None
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(42, sent.message_id)


async def test_commands_are_stored_per_scope(bot: Bot) -> None:
    commands = [BotCommand(command="latest", description="Свежие новости")]
    assert await bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats())
    stored = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert [(c.command, c.description) for c in stored] == [("latest", "Свежие новости")]
    assert await bot.get_my_commands() == []
    assert await bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == []


async def test_chat_members_are_configurable(bot_api: LocalBotAPI, bot: Bot) -> None:
    bot_api.add_chat(CHANNEL)
    bot_api.set_member(CHANNEL["id"], DEFAULT_USER["id"], "creator")
    bot_api.set_member(CHANNEL["id"], bot.id, "administrator", can_post_messages=False)

    owner = await bot.get_chat_member("@svodka_daily", DEFAULT_USER["id"])
    me = await bot.get_chat_member(CHANNEL["id"], bot.id)
    stranger = await bot.get_chat_member(CHANNEL["id"], 777)
    admins = await bot.get_chat_administrators(CHANNEL["id"])

    assert owner.status == "creator" and owner.user.id == DEFAULT_USER["id"]
    assert me.status == "administrator" and me.can_post_messages is False
    assert stranger.status == "member"
    assert {admin.user.id for admin in admins} == {DEFAULT_USER["id"], bot.id}


async def test_get_chat_and_chat_actions(bot_api: LocalBotAPI, bot: Bot) -> None:
    bot_api.add_chat(CHANNEL)
    chat = await bot.get_chat("@svodka_daily")
    assert (chat.id, chat.type, chat.title) == (CHANNEL["id"], "channel", "Сводка дня")
    assert (await bot.get_chat(-100555)).type == "supergroup"  # by Telegram's id ranges
    assert await bot.send_chat_action(42, "typing")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat("@nobody_here")


async def test_channel_posts_by_the_bot_have_the_channel_as_sender(
    bot_api: LocalBotAPI, bot: Bot
) -> None:
    bot_api.add_chat(CHANNEL)
    post = await bot.send_message("@svodka_daily", "Дайджест")
    assert post.chat.id == CHANNEL["id"] and post.sender_chat.id == CHANNEL["id"]
    assert post.from_user is None
    assert bot_api.sent_messages(CHANNEL["id"])[0]["text"] == "Дайджест"


async def test_known_chats_only_refuses_unknown_chats() -> None:
    async with LocalBotAPI(known_chats_only=True) as api:
        bot = make_bot(api.base_url)
        api.inject_message("/start")  # a user who wrote to the bot is known
        try:
            await bot.send_message(DEFAULT_USER["id"], "привет")
            with pytest.raises(TelegramBadRequest, match="chat not found"):
                await bot.send_message(31337, "кто здесь?")
        finally:
            await bot.session.close()


async def test_delete_webhook_can_drop_pending_updates(bot_api: LocalBotAPI, bot: Bot) -> None:
    bot_api.inject_message("старое")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == []


async def test_a_second_long_poll_ends_the_first_with_a_conflict(
    bot_api: LocalBotAPI, bot: Bot
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)  # the first poll is waiting on the server
    second = asyncio.create_task(bot.get_updates(timeout=10))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    bot_api.inject_message("для второго")
    assert len(await second) == 1


async def test_close_and_log_out_answer_true(bot: Bot) -> None:
    assert await bot.close() and await bot.log_out()


async def test_only_allowed_update_types_are_delivered(bot_api: LocalBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(DEFAULT_USER["id"], "кнопка", reply_markup=KEYBOARD)
    bot_api.inject_message("текст")
    bot_api.inject_callback(bot_api.sent_messages()[0])

    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.message.message_id for u in updates] == [sent.message_id]
    assert [update["message"]["text"] for update in bot_api.discarded] == ["текст"]
    bot_api.inject_message("ещё текст")
    later = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert later == []  # the setting stays until changed


async def test_adding_the_bot_to_a_channel(bot_api: LocalBotAPI, bot: Bot) -> None:
    bot_api.inject_my_chat_member(CHANNEL, "administrator", can_post_messages=True)

    (update,) = await bot.get_updates()
    change = update.my_chat_member
    assert change.chat.id == CHANNEL["id"] and change.from_user.id == DEFAULT_USER["id"]
    assert (change.old_chat_member.status, change.new_chat_member.status) == (
        "left",
        "administrator",
    )
    me = await bot.get_chat_member(CHANNEL["id"], bot.id)
    assert me.status == "administrator" and me.can_post_messages
