"""/sources: the archive's outlets and channels as paged buttons (✅ on those followed, the
articles of 7 days beside each); a press follows the outlet or stops."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.callbacks import SourcesPage, SourceToggle
from bot.config import Settings
from bot.handlers.buttons import editable, pressed_on
from bot.handlers.common import Holds, remember_chat
from bot.handlers.delivery_choice import ask_once
from bot.handlers.feature import Feature
from bot.handlers.subscriptions import MAX_SUBSCRIPTIONS
from bot.middlewares import CONFIGURE
from bot.storage import chats, outlets
from bot.storage.schema import utcnow

feature = Feature(__name__)
PAGE = 10
WINDOW = timedelta(days=7)


async def _page(
    conn: AsyncConnection, chat_id: int, offset: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    found, total = await outlets.page(conn, utcnow() - WINDOW, limit=PAGE, offset=offset)
    if not total:
        return texts.SOURCES_EMPTY, None
    followed = {
        sub.value
        for sub in await chats.list_subscriptions(conn, chat_id)
        if sub.kind == chats.SOURCE
    }
    markup = keyboards.sources(found, followed, offset=offset, total=total, size=PAGE)
    return texts.SOURCES_TITLE.format(total), markup


@feature.message(Command("sources"))
async def show_sources(message: Message, conn: AsyncConnection) -> None:
    text, markup = await _page(conn, message.chat.id, 0)
    await message.answer(text, reply_markup=markup)


async def _show(query: CallbackQuery, conn: AsyncConnection, offset: int) -> None:
    text, markup = await _page(conn, pressed_on(query).chat.id, offset)
    # Pressing the button of the current page changes nothing, which Telegram refuses.
    if (message := editable(pressed_on(query))) is not None:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text, reply_markup=markup)


@feature.callback_query(SourcesPage.filter(), Holds(F.message))
async def turn_page(
    query: CallbackQuery, callback_data: SourcesPage, conn: AsyncConnection
) -> None:
    await _show(query, conn, callback_data.offset)
    await query.answer()


@feature.callback_query(SourceToggle.filter(), Holds(F.message), flags=CONFIGURE)
async def toggle_source(
    query: CallbackQuery, callback_data: SourceToggle, conn: AsyncConnection, settings: Settings
) -> None:
    found, _ = await outlets.page(conn, utcnow() - WINDOW, limit=PAGE, offset=callback_data.offset)
    name = next((o.name for o in found if keyboards.outlet_key(o.name) == callback_data.key), None)
    if name is None:
        await query.answer(texts.STALE_BUTTON)
        return
    chat = await remember_chat(conn, pressed_on(query).chat)
    if await chats.remove_subscription(conn, chat.id, chats.SOURCE, name):
        notice = texts.TOPIC_TOGGLED_OFF.format(name)
    elif await chats.count_subscriptions(conn, chat.id) >= MAX_SUBSCRIPTIONS:
        await query.answer(texts.TOO_MANY_SUBSCRIPTIONS.format(MAX_SUBSCRIPTIONS))
        return
    else:
        await chats.add_subscription(conn, chat.id, chats.SOURCE, name, name)
        notice = texts.TOPIC_TOGGLED_ON.format(name)
    await _show(query, conn, callback_data.offset)
    await query.answer(notice[:200])
    await ask_once(pressed_on(query), conn, settings)
