"""/subscribe, /unsubscribe, /mysubs and its remove buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.callbacks import SubscriptionRemove
from bot.handlers.buttons import editable, pressed_on
from bot.handlers.common import Magic, parse_subject, quoted, remember_chat
from bot.middlewares import CONFIGURE
from bot.storage import chats

router = Router(name=__name__)
MAX_SUBSCRIPTIONS = 50


@router.message(Command("subscribe"), flags=CONFIGURE)
async def subscribe(message: Message, command: CommandObject, conn: AsyncConnection) -> None:
    if not command.args:
        await message.answer(texts.SUBSCRIBE_USAGE)
        return
    subject = parse_subject(command.args)
    if subject is None:
        await message.answer(texts.BAD_KEYWORD)
        return
    chat = await remember_chat(conn, message.chat)
    if await chats.count_subscriptions(conn, chat.id) >= MAX_SUBSCRIPTIONS:
        await message.answer(texts.TOO_MANY_SUBSCRIPTIONS.format(MAX_SUBSCRIPTIONS))
        return
    if not await chats.add_subscription(conn, chat.id, subject.kind, subject.value, subject.label):
        await message.answer(**quoted(texts.ALREADY_SUBSCRIBED, subject.label))
    elif subject.kind == chats.TOPIC:
        await message.answer(texts.SUBSCRIBED_TOPIC.format(topic=subject.label))
    else:
        await message.answer(**quoted(texts.SUBSCRIBED_KEYWORD, subject.label))


@router.message(Command("unsubscribe"), flags=CONFIGURE)
async def unsubscribe(message: Message, command: CommandObject, conn: AsyncConnection) -> None:
    if not command.args:
        await message.answer(texts.UNSUBSCRIBE_USAGE)
        return
    if command.args.strip().lower() in texts.WORDS_ALL:
        removed = await chats.remove_all_subscriptions(conn, message.chat.id)
        await message.answer(texts.UNSUBSCRIBED_ALL.format(removed))
        return
    subject = parse_subject(command.args)
    if subject is None:
        await message.answer(texts.BAD_KEYWORD)
    elif await chats.remove_subscription(conn, message.chat.id, subject.kind, subject.value):
        await message.answer(**quoted(texts.UNSUBSCRIBED, subject.label))
    else:
        await message.answer(**quoted(texts.NOT_SUBSCRIBED, subject.label))


@router.message(Command("mysubs"))
async def my_subscriptions(message: Message, conn: AsyncConnection) -> None:
    subs = await chats.list_subscriptions(conn, message.chat.id)
    if not subs:
        await message.answer(texts.NO_SUBSCRIPTIONS)
        return
    await message.answer(texts.MY_SUBSCRIPTIONS, reply_markup=keyboards.subscriptions(subs))


@router.callback_query(SubscriptionRemove.filter(), Magic(F.message), flags=CONFIGURE)
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
