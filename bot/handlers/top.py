"""/top [topic or keyword] [N] ("Главное"): the stories of the last 24 hours told by the most
outlets, within the chat's subscriptions when no topic is given and it has some."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.formatting import Bold
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import render, texts
from bot.config import Settings
from bot.handlers.common import answer_messages, quoted
from bot.handlers.latest import MAX_COUNT, parse_request, scope_query
from bot.storage import chats, stories
from bot.storage.schema import utcnow

router = Router(name=__name__)
WINDOW = timedelta(hours=24)


@router.message(Command("top"))
async def top(
    message: Message, command: CommandObject, conn: AsyncConnection, settings: Settings
) -> None:
    request = parse_request(command.args)
    if request is None:
        await message.answer(texts.TOP_COUNT_RANGE.format(MAX_COUNT))
        return
    if request.capped:
        await message.answer(texts.LATEST_CAPPED.format(MAX_COUNT))
    chat, subs = await chats.chat_with_subscriptions(conn, message.chat.id)
    query, about = scope_query(request.scope, subs)
    views = await stories.top(conn, **query, since=utcnow() - WINDOW, limit=request.count)
    if not views:
        if about is not None:
            await message.answer(**quoted(texts.TOP_EMPTY_FOR, about))
        else:
            await message.answer(texts.TOP_EMPTY)
        return
    if about is not None:
        header = Bold(texts.TOP_HEADER_FOR.format(about))
    elif query["topics"] or query["keywords"]:
        header = Bold(texts.TOP_HEADER_SUBS)
    else:
        header = Bold(texts.TOP_HEADER)
    tz = render.zone(chat.timezone if chat else None, settings.timezone)
    await answer_messages(message, render.render_articles(views, tz, header=header))
