"""Small pieces several handlers share: what a user's words name, whose chat it is, replies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.types import Chat as TgChat
from aiogram.types import (
    InlineKeyboardMarkup,
    MaybeInaccessibleMessageUnion,
    TelegramObject,
)
from aiogram.utils.formatting import Text
from aiogram.utils.magic_filter import MagicFilter
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import render
from bot.config import Settings
from bot.storage import chats
from bot.storage.articles import index_lemmas
from bot.telegram_errors import is_parse_error

MAX_KEYWORD_CHARS = 64
HHMM = re.compile(r"^(\d{1,2})[:.](\d{2})$")


class Holds(Filter):
    """A magic filter (`F...`) checked on the event loop. aiogram runs every plain callable
    filter, F included, through asyncio.to_thread: a thread hop per check, dearer than the
    check itself on a busy bot."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


@dataclass(frozen=True)
class Subject:
    """A topic or a keyword, as named in a command."""

    kind: str  # chats.TOPIC | chats.KEYWORD
    value: str  # topic slug, or the keyword's lemmas
    label: str  # the topic's name, or the words as typed


UTC_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-]?\d{1,2})(?::?00)?$", re.IGNORECASE)


@cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_timezone(value: str) -> str | None:
    """ "asia/almaty" -> "Asia/Almaty"; "+5", "UTC-3" -> "Etc/GMT-5", "Etc/GMT+3"; else None."""
    value = value.strip()
    if value.upper() in {"UTC", "GMT"}:
        return "UTC"
    offset = UTC_OFFSET.match(value)
    if offset is not None:
        hours = int(offset.group(1))
        if not -12 <= hours <= 14:
            return None
        return "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"  # POSIX signs are inverted
    return _zone_names().get(value.lower())


def parse_subject(words: str) -> Subject | None:
    """A topic by slug or Russian name in any form; anything else a keyword. None: no words."""
    from summarizer.topics import find_topic

    words = " ".join(words.split())[:MAX_KEYWORD_CHARS]
    topic = find_topic(words)
    if topic is not None:
        return Subject(chats.TOPIC, topic.slug, topic.name)
    lemmas = index_lemmas(words)
    return Subject(chats.KEYWORD, lemmas, words) if lemmas else None


def parse_time(value: str) -> str | None:
    """ "9:05" -> "09:05"; None when it is not a time of day."""
    match = HHMM.match(value.strip())
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        return None
    return f"{hours:02d}:{minutes:02d}"


def chat_title(chat: TgChat) -> str | None:
    return chat.title or chat.full_name


async def remember_chat(conn: AsyncConnection, chat: TgChat) -> chats.Chat:
    return await chats.upsert_chat(
        conn, chat.id, chat.type, title=chat_title(chat), username=chat.username
    )


async def chat_zone(conn: AsyncConnection, chat_id: int, settings: Settings) -> tzinfo:
    chat = await chats.get_chat(conn, chat_id)
    return render.zone(chat.timezone if chat else None, settings.timezone)


def quoted(template: str, *values: str) -> dict:
    """Message kwargs for a template whose {} take outside text (a user's words, chat names),
    put in as plain text: entities, never markup."""
    pieces = template.split("{}")
    body: list[str] = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        body += [value, piece]
    return Text(*body).as_kwargs()


async def answer_messages(
    message: MaybeInaccessibleMessageUnion,
    parts: Sequence[Text],
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send rendered messages in order; the keyboard goes under the last one."""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await answer_rendered(message, part, markup if last else None)


async def answer_rendered(
    message: MaybeInaccessibleMessageUnion, part: Text, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send one rendered message; if Telegram cannot read its entities or a link in them, the
    same text again without them (one bad article never costs the whole answer)."""
    try:
        await message.answer(**part.as_kwargs(), reply_markup=markup)
    except TelegramBadRequest as error:
        if not is_parse_error(error):
            raise
        plain, _ = part.render()
        await message.answer(plain, parse_mode=None, reply_markup=markup)
