"""/top [topic or keyword] [N] ("Главное"): the stories of the last 24 hours told by the most
outlets, within the chat's subscriptions when no topic is given and it has some."""

from __future__ import annotations

from datetime import timedelta

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import render, texts
from bot.config import Settings
from bot.handlers.common import answer_messages
from bot.handlers.feature import Feature
from bot.handlers.listing import Wording, answer_empty, header, read_request, scope_query
from bot.storage import chats, mutes, stories
from bot.storage.schema import utcnow

feature = Feature(__name__)
WINDOW = timedelta(hours=24)


TOP_WORDING = Wording(
    texts.TOP_COUNT_RANGE,
    texts.TOP_EMPTY,
    texts.TOP_EMPTY_FOR,
    texts.TOP_HEADER,
    texts.TOP_HEADER_SUBS,
    texts.TOP_HEADER_FOR,
)


@feature.message(Command("top"))
async def top(
    message: Message, command: CommandObject, conn: AsyncConnection, settings: Settings
) -> None:
    request = await read_request(message, command.args, TOP_WORDING)
    if request is None:
        return
    chat, subs = await chats.chat_with_subscriptions(conn, message.chat.id)
    query, about = scope_query(request.scope, subs)
    hidden = await mutes.hidden_for(conn, message.chat.id)
    views = await stories.top(
        conn, **query, since=utcnow() - WINDOW, limit=request.count, hidden=hidden
    )
    if not views:
        await answer_empty(message, TOP_WORDING, about)
        return
    tz = render.zone(chat.timezone if chat else None, settings.timezone)
    parts = render.render_articles(views, tz, header=header(TOP_WORDING, query, about))
    await answer_messages(message, parts)
