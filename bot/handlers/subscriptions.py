"""/subscribe, /unsubscribe, /mysubs and its remove buttons."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.callbacks import SubscriptionRemove
from bot.config import Settings
from bot.handlers.buttons import editable, pressed_on
from bot.handlers.common import Holds, Subject, parse_subject, quoted, remember_chat
from bot.handlers.delivery_choice import ask_once
from bot.handlers.feature import Feature
from bot.handlers.outlet_words import named_outlet
from bot.middlewares import CONFIGURE
from bot.storage import chats

feature = Feature(__name__)
MAX_SUBSCRIPTIONS = 50


async def subject_of(message: Message, conn: AsyncConnection, words: str) -> Subject | None:
    """The topic, keyword or source the words name; None, with the reason answered, when
    they name nothing."""
    outlet = await named_outlet(conn, words)
    if outlet is not None:
        if outlet.problem is not None:
            await message.answer(**quoted("{}", outlet.problem))
        elif outlet.name is None:
            await message.answer(**quoted(texts.SOURCE_NOT_FOUND, outlet.typed))
        else:
            return Subject(chats.SOURCE, outlet.name, outlet.name)
        return None
    subject = parse_subject(words)
    if subject is None:
        await message.answer(texts.BAD_KEYWORD)
    return subject


@feature.message(Command("subscribe"), flags=CONFIGURE)
async def subscribe(
    message: Message, command: CommandObject, conn: AsyncConnection, settings: Settings
) -> None:
    if not command.args:
        await message.answer(texts.SUBSCRIBE_USAGE)
        return
    subject = await subject_of(message, conn, command.args)
    if subject is None:
        return
    chat = await remember_chat(conn, message.chat)
    if await chats.count_subscriptions(conn, chat.id) >= MAX_SUBSCRIPTIONS:
        await message.answer(texts.TOO_MANY_SUBSCRIPTIONS.format(MAX_SUBSCRIPTIONS))
        return
    if not await chats.add_subscription(conn, chat.id, subject.kind, subject.value, subject.label):
        await message.answer(**quoted(texts.ALREADY_SUBSCRIBED, subject.label))
        return
    if subject.kind == chats.TOPIC:
        await message.answer(texts.SUBSCRIBED_TOPIC.format(topic=subject.label))
    elif subject.kind == chats.SOURCE:
        await message.answer(**quoted(texts.SUBSCRIBED_SOURCE, subject.label))
    else:
        await message.answer(**quoted(texts.SUBSCRIBED_KEYWORD, subject.label))
    await ask_once(message, conn, settings)


@feature.message(Command("unsubscribe"), flags=CONFIGURE)
async def unsubscribe(message: Message, command: CommandObject, conn: AsyncConnection) -> None:
    if not command.args:
        await message.answer(texts.UNSUBSCRIBE_USAGE)
        return
    if command.args.strip().lower() in texts.WORDS_ALL:
        removed = await chats.remove_all_subscriptions(conn, message.chat.id)
        await message.answer(texts.UNSUBSCRIBED_ALL.format(removed))
        return
    subject = await subject_of(message, conn, command.args)
    if subject is None:
        return
    if await chats.remove_subscription(conn, message.chat.id, subject.kind, subject.value):
        await message.answer(**quoted(texts.UNSUBSCRIBED, subject.label))
    else:
        await message.answer(**quoted(texts.NOT_SUBSCRIBED, subject.label))


@feature.message(Command("mysubs"))
async def my_subscriptions(message: Message, conn: AsyncConnection) -> None:
    subs = await chats.list_subscriptions(conn, message.chat.id)
    if not subs:
        await message.answer(texts.NO_SUBSCRIPTIONS)
        return
    await message.answer(texts.MY_SUBSCRIPTIONS, reply_markup=keyboards.subscriptions(subs))


@feature.callback_query(SubscriptionRemove.filter(), Holds(F.message), flags=CONFIGURE)
async def remove_button(
    query: CallbackQuery, callback_data: SubscriptionRemove, conn: AsyncConnection
) -> None:
    chat = pressed_on(query).chat
    if not await chats.remove_subscription_by_id(conn, chat.id, callback_data.id):
        await query.answer(texts.STALE_BUTTON)
        return
    subs = await chats.list_subscriptions(conn, chat.id)
    message = editable(pressed_on(query))
    if message is not None and subs:
        await message.edit_reply_markup(reply_markup=keyboards.subscriptions(subs))
    elif message is not None:
        await message.edit_text(texts.NO_SUBSCRIPTIONS)
    await query.answer(texts.REMOVED)
