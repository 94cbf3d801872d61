"""/latest [topic or keyword] [N] and its "Ещё" button."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, MaybeInaccessibleMessageUnion, Message
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, render, texts
from bot.callbacks import LatestMore
from bot.config import Settings
from bot.handlers.buttons import pressed_on
from bot.handlers.common import Holds, answer_messages
from bot.handlers.feature import Feature
from bot.handlers.listing import (
    MAX_COUNT,
    Wording,
    answer_empty,
    header,
    read_request,
    scope_query,
)
from bot.storage import articles, chats, mutes, stories

feature = Feature(__name__)

LATEST_WORDING = Wording(
    texts.LATEST_COUNT_RANGE,
    texts.LATEST_EMPTY,
    texts.LATEST_EMPTY_FOR,
    texts.LATEST_HEADER_ALL,
    texts.LATEST_HEADER_SUBS,
    texts.LATEST_HEADER_FOR,
)


async def show_latest(
    message: MaybeInaccessibleMessageUnion,
    conn: AsyncConnection,
    settings: Settings,
    scope: str,
    count: int,
    before_id: int | None = None,
) -> None:
    chat, subs = await chats.chat_with_subscriptions(conn, message.chat.id)
    query, about = scope_query(scope, subs)
    hidden = await mutes.hidden_for(conn, message.chat.id)
    told = await stories.latest_page(conn, **query, count=count, before_id=before_id, hidden=hidden)
    views = told.views
    if not views:
        if before_id is not None:
            await message.answer(texts.NOTHING_MORE)
        else:
            await answer_empty(message, LATEST_WORDING, about)
        return
    # A next page continues the first one: no header.
    heading = None if before_id is not None else header(LATEST_WORDING, query, about)
    tz = render.zone(chat.timezone if chat else None, settings.timezone)
    sentences = (chat.summary_sentences if chat else None) or keyboards.DEFAULT_SENTENCES
    views = await articles.lengthened(conn, views, sentences)
    parts = render.render_articles(views, tz, header=heading, summary_sentences=sentences)
    more = None
    if len(views) == count and told.before is not None:
        more = LatestMore(scope=scope, before=told.before, count=count)
    await answer_messages(message, parts, keyboards.more(more))


@feature.message(Command("latest"))
async def latest(
    message: Message, command: CommandObject, conn: AsyncConnection, settings: Settings
) -> None:
    request = await read_request(message, command.args, LATEST_WORDING)
    if request is not None:
        await show_latest(message, conn, settings, request.scope, request.count)


@feature.callback_query(LatestMore.filter(F.count.in_(range(1, MAX_COUNT + 1))), Holds(F.message))
async def more(
    query: CallbackQuery, callback_data: LatestMore, conn: AsyncConnection, settings: Settings
) -> None:
    await query.answer()
    await show_latest(
        pressed_on(query),
        conn,
        settings,
        callback_data.scope,
        callback_data.count,
        before_id=callback_data.before,
    )
