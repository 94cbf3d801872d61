"""/start (with the `topic_<slug>` deep link) and /help."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.config import Settings
from bot.handlers.common import remember_chat
from bot.handlers.delivery_choice import ask_once
from bot.handlers.feature import Feature
from bot.middlewares import WRITE
from bot.storage import chats

if TYPE_CHECKING:
    from summarizer.topics import Topic

feature = Feature(__name__)
DEEP_LINK_TOPIC = "topic_"


@feature.message(CommandStart(), flags=WRITE)
async def start(
    message: Message, command: CommandObject, conn: AsyncConnection, settings: Settings
) -> None:
    chat = await remember_chat(conn, message.chat)
    topic = _deep_link_topic(command.args)
    deep_linked = topic is not None and message.chat.type == ChatType.PRIVATE
    if topic is not None and deep_linked:
        await chats.add_subscription(conn, chat.id, chats.TOPIC, topic.slug, topic.name)
        await message.answer(texts.DEEP_LINK_SUBSCRIBED.format(topic=topic.name))
    greeting = texts.GREETING if message.chat.type == ChatType.PRIVATE else texts.GREETING_GROUP
    subscribed = {sub.value for sub in await chats.list_subscriptions(conn, chat.id)}
    await message.answer(greeting, reply_markup=keyboards.topics(subscribed))
    if deep_linked:
        await ask_once(message, conn, settings)


def _deep_link_topic(payload: str | None) -> Topic | None:
    from summarizer.topics import TOPICS

    if not payload or not payload.startswith(DEEP_LINK_TOPIC):
        return None
    slug = payload.removeprefix(DEEP_LINK_TOPIC)
    return next((topic for topic in TOPICS if topic.slug == slug), None)


@feature.message(Command("help"), flags={"db": None})
async def help_(message: Message, settings: Settings) -> None:
    admin = message.from_user is not None and message.from_user.id in settings.admins
    await message.answer(texts.HELP + (texts.HELP_ADMIN if admin else ""))
