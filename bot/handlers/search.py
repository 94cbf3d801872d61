"""/search <words>: full-text search over the archive, best matches first, with paging."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, MaybeInaccessibleMessageUnion, Message
from aiogram.utils.formatting import Bold
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, render, texts
from bot.callbacks import SearchMore
from bot.config import Settings
from bot.handlers.buttons import pressed_on
from bot.handlers.common import MAX_KEYWORD_CHARS, Holds, answer_messages, chat_zone, quoted
from bot.handlers.feature import Feature
from bot.storage import articles, stories

feature = Feature(__name__)
PAGE = 5
MAX_OFFSET = 1000


async def show_results(
    message: MaybeInaccessibleMessageUnion,
    conn: AsyncConnection,
    settings: Settings,
    words: str,
    offset: int = 0,
) -> None:
    # Results are ranked by relevance, not by id, so /latest's paging by article id does not
    # apply, and the stories already shown do not fit in 64 bytes of callback data. Search
    # ranks stories instead (each by its best matching article): a story has one place in the
    # ranking, and the offset of the next page counts stories.
    found = await articles.search(conn, words, limit=PAGE, offset=offset)
    views = (await stories.one_per_story(conn, found)).views
    if not views:
        if offset:
            await message.answer(texts.NOTHING_MORE)
        else:
            await message.answer(**quoted(texts.SEARCH_EMPTY, words))
        return
    tz = await chat_zone(conn, message.chat.id, settings)
    header = Bold(texts.SEARCH_HEADER.format(words)) if not offset else None
    parts = render.render_articles(views, tz, header=header)
    more = None
    following = offset + len(found)
    if len(views) == PAGE and following < MAX_OFFSET:
        more = SearchMore(offset=following, query=words.replace(":", " "))
    await answer_messages(message, parts, keyboards.more(more))


@feature.message(Command("search"))
async def search(
    message: Message, command: CommandObject, conn: AsyncConnection, settings: Settings
) -> None:
    words = " ".join((command.args or "").split())[:MAX_KEYWORD_CHARS]
    if not words:
        await message.answer(texts.SEARCH_USAGE)
        return
    await show_results(message, conn, settings, words)


@feature.callback_query(SearchMore.filter(F.offset.in_(range(1, MAX_OFFSET))), Holds(F.message))
async def more(
    query: CallbackQuery, callback_data: SearchMore, conn: AsyncConnection, settings: Settings
) -> None:
    await query.answer()
    await show_results(pressed_on(query), conn, settings, callback_data.query, callback_data.offset)
