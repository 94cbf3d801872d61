"""/topics: every topic as a button; a press toggles the subscription, the keyboard is edited."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.callbacks import ShowTopics, TopicToggle
from bot.config import Settings
from bot.handlers.buttons import editable, pressed_on
from bot.handlers.common import Holds, remember_chat
from bot.handlers.delivery_choice import ask_once
from bot.handlers.feature import Feature
from bot.middlewares import CONFIGURE
from bot.storage import chats

feature = Feature(__name__)


async def _subscribed_topics(conn: AsyncConnection, chat_id: int) -> set[str]:
    subs = await chats.list_subscriptions(conn, chat_id)
    return {sub.value for sub in subs if sub.kind == chats.TOPIC}


@feature.message(Command("topics"))
async def show_topics(message: Message, conn: AsyncConnection) -> None:
    subscribed = await _subscribed_topics(conn, message.chat.id)
    await message.answer(texts.TOPICS_TITLE, reply_markup=keyboards.topics(subscribed))


@feature.callback_query(ShowTopics.filter(), Holds(F.message))
async def show_topics_button(query: CallbackQuery, conn: AsyncConnection) -> None:
    message = pressed_on(query)
    subscribed = await _subscribed_topics(conn, message.chat.id)
    await message.answer(texts.TOPICS_TITLE, reply_markup=keyboards.topics(subscribed))
    await query.answer()


@feature.callback_query(TopicToggle.filter(), Holds(F.message), flags=CONFIGURE)
async def toggle_topic(
    query: CallbackQuery, callback_data: TopicToggle, conn: AsyncConnection, settings: Settings
) -> None:
    from summarizer.topics import TOPICS

    topic = next((topic for topic in TOPICS if topic.slug == callback_data.slug), None)
    if topic is None:
        await query.answer(texts.STALE_BUTTON)
        return
    chat = pressed_on(query).chat
    await remember_chat(conn, chat)
    if await chats.remove_subscription(conn, chat.id, chats.TOPIC, topic.slug):
        notice = texts.TOPIC_TOGGLED_OFF.format(topic.name)
    else:
        await chats.add_subscription(conn, chat.id, chats.TOPIC, topic.slug, topic.name)
        notice = texts.TOPIC_TOGGLED_ON.format(topic.name)
    subscribed = await _subscribed_topics(conn, chat.id)
    if (message := editable(pressed_on(query))) is not None:
        await message.edit_reply_markup(reply_markup=keyboards.topics(subscribed))
    await query.answer(notice)
    await ask_once(pressed_on(query), conn, settings)
