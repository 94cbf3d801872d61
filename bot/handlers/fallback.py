"""Last router: unknown commands and plain text point to /help; stale or forged buttons get
a short notice. In groups only commands addressed to this bot get an answer."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, F
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot import texts
from bot.answers import AnswerGivenUp
from bot.handlers.common import Holds
from bot.handlers.feature import Feature
from bot.middlewares import NO_DB

feature = Feature(__name__)
logger = logging.getLogger(__name__)


async def _addressed_to_me(message: Message, bot: Bot) -> bool:
    """A command in a group counts only with this bot's @username (it may be another bot's)."""
    assert message.text is not None  # the handler's filter matched it
    command = Command.extract_command(message.text)
    me = await bot.me()
    return bool(command.mention and me.username and command.mention.lower() == me.username.lower())


@feature.message(Holds(F.text.startswith("/")), flags=NO_DB)
async def unknown_command(message: Message, bot: Bot) -> None:
    if message.chat.type == ChatType.PRIVATE or await _addressed_to_me(message, bot):
        await message.answer(texts.UNKNOWN_COMMAND)


@feature.message(Holds(F.chat.type == ChatType.PRIVATE), flags=NO_DB)
async def plain_text(message: Message) -> None:
    await message.answer(texts.PLAIN_TEXT)


@feature.callback_query(flags=NO_DB)
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(texts.STALE_BUTTON)


@feature.errors()
async def failed(event: ErrorEvent) -> None:
    """A handler failed (a bug, the database or Telegram down): log it, tell the user."""
    if isinstance(event.exception, AnswerGivenUp):  # counted and logged; Telegram is not taking it
        return
    chat = getattr(event.update.event, "chat", None)
    logger.error(
        "update %s failed",
        event.update.update_id,
        exc_info=event.exception,
        extra={"chat": chat.id if chat else None},
    )
    with contextlib.suppress(TelegramAPIError):
        if event.update.message is not None:
            await event.update.message.answer(texts.SOMETHING_WRONG)
        elif event.update.callback_query is not None:
            await event.update.callback_query.answer(texts.SOMETHING_WRONG)
