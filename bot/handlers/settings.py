"""/settings with buttons, /schedule, /timezone, /instant."""

from __future__ import annotations

import contextlib
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, render, texts
from bot.callbacks import DigestTimeSet, InstantSet, LengthSet, PreviewSet
from bot.config import Settings
from bot.handlers.buttons import editable, pressed_on
from bot.handlers.common import Holds, parse_time, parse_timezone, remember_chat
from bot.handlers.feature import Feature
from bot.middlewares import CONFIGURE, WRITE
from bot.storage import chats

feature = Feature(__name__)


def settings_text(chat: chats.Chat, subscriptions: int, settings: Settings) -> str:
    zone_name = chat.timezone or settings.timezone
    schedule = (
        texts.SETTINGS_SCHEDULE.format(chat.digest_time)
        if chat.digest_time
        else texts.SETTINGS_SCHEDULE_OFF
    )
    return "\n".join(
        (
            texts.SETTINGS_TITLE,
            texts.SETTINGS_TIMEZONE.format(render.zone_label(zone_name)),
            schedule,
            texts.SETTINGS_INSTANT.format(texts.ON if chat.instant else texts.OFF),
            texts.SETTINGS_PREVIEW.format(keyboards.preview_label(chat.link_preview)),
            texts.SETTINGS_LENGTH.format(
                texts.LENGTHS[chat.summary_sentences or keyboards.DEFAULT_SENTENCES]
            ),
            texts.SETTINGS_SUBSCRIPTIONS.format(subscriptions),
        )
    )


@feature.message(Command("settings"), flags=WRITE)
async def show_settings(message: Message, conn: AsyncConnection, settings: Settings) -> None:
    chat = await remember_chat(conn, message.chat)
    count = await chats.count_subscriptions(conn, chat.id)
    await message.answer(
        settings_text(chat, count, settings), reply_markup=keyboards.settings(chat)
    )


async def _refresh(query: CallbackQuery, conn: AsyncConnection, settings: Settings) -> None:
    message = editable(pressed_on(query))
    if message is None:  # gone: nothing to show the new settings on
        return
    chat = await chats.get_chat(conn, message.chat.id)
    assert chat is not None  # remembered by the button's handler
    count = await chats.count_subscriptions(conn, chat.id)
    # Pressing the button of the current state changes nothing, which Telegram refuses.
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_text(
            settings_text(chat, count, settings), reply_markup=keyboards.settings(chat)
        )


@feature.message(Command("schedule"), flags=CONFIGURE)
async def schedule(
    message: Message, command: CommandObject, conn: AsyncConnection, settings: Settings
) -> None:
    if not command.args:
        await message.answer(texts.SCHEDULE_USAGE)
        return
    off = command.args.strip().lower() in texts.WORDS_OFF
    digest_time = None if off else parse_time(command.args)
    if not off and digest_time is None:
        await message.answer(texts.SCHEDULE_BAD)
        return
    chat = await remember_chat(conn, message.chat)
    await chats.set_digest_time(conn, chat.id, digest_time)
    if off:
        await message.answer(texts.SCHEDULE_OFF)
        return
    zone_label = render.zone_label(chat.timezone or settings.timezone)
    await message.answer(texts.SCHEDULE_SET.format(digest_time, zone_label))


@feature.message(Command("timezone"), flags=CONFIGURE)
async def timezone(message: Message, command: CommandObject, conn: AsyncConnection) -> None:
    if not command.args:
        await message.answer(texts.TIMEZONE_USAGE)
        return
    zone_name = parse_timezone(command.args)
    if zone_name is None:
        await message.answer(texts.TIMEZONE_BAD)
        return
    chat = await remember_chat(conn, message.chat)
    await chats.set_timezone(conn, chat.id, zone_name)
    now = datetime.now(ZoneInfo(zone_name)).strftime("%H:%M")
    await message.answer(texts.TIMEZONE_SET.format(render.zone_label(zone_name), now))


@feature.message(Command("instant"), flags=CONFIGURE)
async def instant(message: Message, command: CommandObject, conn: AsyncConnection) -> None:
    choice = (command.args or "").strip().lower()
    if choice not in texts.WORDS_ON | texts.WORDS_OFF:
        await message.answer(texts.INSTANT_USAGE)
        return
    chat = await remember_chat(conn, message.chat)
    await chats.set_instant(conn, chat.id, choice in texts.WORDS_ON)
    if choice in texts.WORDS_OFF:
        await message.answer(texts.INSTANT_OFF)
    elif await chats.count_subscriptions(conn, chat.id):
        await message.answer(texts.INSTANT_ON)
    else:
        await message.answer(texts.INSTANT_ON_NO_SUBS)


@feature.callback_query(InstantSet.filter(), Holds(F.message), flags=CONFIGURE)
async def instant_button(
    query: CallbackQuery,
    callback_data: InstantSet,
    conn: AsyncConnection,
    settings: Settings,
) -> None:
    chat = await remember_chat(conn, pressed_on(query).chat)
    await chats.set_instant(conn, chat.id, callback_data.on)
    await _refresh(query, conn, settings)
    await query.answer()


@feature.callback_query(DigestTimeSet.filter(), Holds(F.message), flags=CONFIGURE)
async def digest_time_button(
    query: CallbackQuery,
    callback_data: DigestTimeSet,
    conn: AsyncConnection,
    settings: Settings,
) -> None:
    raw = callback_data.time
    digest_time = None if raw == "off" else parse_time(f"{raw[:2]}:{raw[2:]}")
    if raw != "off" and digest_time is None:
        await query.answer(texts.STALE_BUTTON)
        return
    chat = await remember_chat(conn, pressed_on(query).chat)
    await chats.set_digest_time(conn, chat.id, digest_time)
    await _refresh(query, conn, settings)
    await query.answer()


PREVIEW_STATES = {"on": True, "off": False, "auto": None}


@feature.callback_query(PreviewSet.filter(), Holds(F.message), flags=CONFIGURE)
async def preview_button(
    query: CallbackQuery, callback_data: PreviewSet, conn: AsyncConnection, settings: Settings
) -> None:
    if callback_data.state not in PREVIEW_STATES:
        await query.answer(texts.STALE_BUTTON)
        return
    await remember_chat(conn, pressed_on(query).chat)
    await chats.set_chat_options(
        conn, pressed_on(query).chat.id, link_preview=PREVIEW_STATES[callback_data.state]
    )
    await _refresh(query, conn, settings)
    await query.answer()


@feature.callback_query(LengthSet.filter(), Holds(F.message), flags=CONFIGURE)
async def length_button(
    query: CallbackQuery, callback_data: LengthSet, conn: AsyncConnection, settings: Settings
) -> None:
    if callback_data.sentences not in texts.LENGTHS:
        await query.answer(texts.STALE_BUTTON)
        return
    await remember_chat(conn, pressed_on(query).chat)
    await chats.set_chat_options(
        conn, pressed_on(query).chat.id, summary_sentences=callback_data.sentences
    )
    await _refresh(query, conn, settings)
    await query.answer()
