"""/mute, /unmute, /mutes: words (on lemmas, like keywords), outlets and advertising a chat
does not want in its pushes, digests, /latest and /top. No patterns from users: a word is
matched on its lemmas, an outlet by its name."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, texts
from bot.callbacks import AdsShow, MuteRemove
from bot.handlers.buttons import editable, pressed_on
from bot.handlers.common import MAX_KEYWORD_CHARS, Holds, quoted, remember_chat
from bot.handlers.feature import Feature
from bot.handlers.outlet_words import named_outlet
from bot.middlewares import CONFIGURE
from bot.storage import chats, mutes
from bot.storage.articles import index_lemmas

feature = Feature(__name__)
MAX_MUTES = 50


async def _what(message: Message, conn: AsyncConnection, words: str) -> mutes.Mute | None:
    """The word or outlet the words name (id 0: not stored); None, with the reason answered."""
    outlet = await named_outlet(conn, words)
    if outlet is not None:
        if outlet.problem is not None:
            await message.answer(**quoted("{}", outlet.problem))
        elif outlet.name is None:
            await message.answer(**quoted(texts.SOURCE_NOT_FOUND, outlet.typed))
        else:
            return mutes.Mute(0, mutes.SOURCE, outlet.name, outlet.name)
        return None
    label = " ".join(words.split())[:MAX_KEYWORD_CHARS]
    lemmas = index_lemmas(label)
    if not lemmas:
        await message.answer(texts.BAD_KEYWORD)
        return None
    return mutes.Mute(0, mutes.WORD, lemmas, label)


def _hide_ads(words: str) -> bool | None:
    """ "реклама" -> True (hide it), "off реклама" -> False; None: not about advertising."""
    parts = words.casefold().split()
    if parts == [texts.ADS_WORD]:
        return True
    if len(parts) == 2 and parts[1] == texts.ADS_WORD and parts[0] in texts.WORDS_OFF:
        return False
    return None


async def _set_ads(message: Message, conn: AsyncConnection, hide: bool) -> None:
    chat = await remember_chat(conn, message.chat)
    await chats.set_chat_options(conn, chat.id, show_ads=not hide)
    await message.answer(texts.ADS_HIDDEN if hide else texts.ADS_SHOWN)


@feature.message(Command("mute"), flags=CONFIGURE)
async def mute(message: Message, command: CommandObject, conn: AsyncConnection) -> None:
    words = (command.args or "").strip()
    if not words:
        await message.answer(texts.MUTE_USAGE)
        return
    hide_ads = _hide_ads(words)
    if hide_ads is not None:
        await _set_ads(message, conn, hide_ads)
        return
    what = await _what(message, conn, words)
    if what is None:
        return
    chat = await remember_chat(conn, message.chat)
    if await mutes.count(conn, chat.id) >= MAX_MUTES:
        await message.answer(texts.TOO_MANY_MUTES.format(MAX_MUTES))
    elif not await mutes.add(conn, chat.id, what.kind, what.value, what.label):
        await message.answer(**quoted(texts.ALREADY_MUTED, what.label))
    elif what.kind == mutes.SOURCE:
        await message.answer(**quoted(texts.MUTED_SOURCE, what.label))
    else:
        await message.answer(**quoted(texts.MUTED_WORD, what.label))


@feature.message(Command("unmute"), flags=CONFIGURE)
async def unmute(message: Message, command: CommandObject, conn: AsyncConnection) -> None:
    words = (command.args or "").strip()
    if not words:
        await message.answer(texts.UNMUTE_USAGE)
        return
    if _hide_ads(words) is not None:
        await _set_ads(message, conn, hide=False)
        return
    what = await _what(message, conn, words)
    if what is None:
        return
    if await mutes.remove(conn, message.chat.id, what.kind, what.value):
        await message.answer(**quoted(texts.UNMUTED, what.label))
    else:
        await message.answer(**quoted(texts.NOT_MUTED, what.label))


@feature.message(Command("mutes"))
async def show_mutes(message: Message, conn: AsyncConnection) -> None:
    chat = await chats.get_chat(conn, message.chat.id)
    listed = await mutes.listed(conn, message.chat.id)
    show_ads = chat is not None and chat.show_ads
    text = texts.MUTES_TITLE if listed else texts.MUTES_EMPTY
    await message.answer(text, reply_markup=keyboards.mutes(listed, show_ads=show_ads))


async def _refresh(query: CallbackQuery, conn: AsyncConnection) -> None:
    chat_id = pressed_on(query).chat.id
    chat = await chats.get_chat(conn, chat_id)
    listed = await mutes.listed(conn, chat_id)
    text = texts.MUTES_TITLE if listed else texts.MUTES_EMPTY
    show_ads = chat is not None and chat.show_ads
    if (message := editable(pressed_on(query))) is not None:
        await message.edit_text(text, reply_markup=keyboards.mutes(listed, show_ads=show_ads))


@feature.callback_query(MuteRemove.filter(), Holds(F.message), flags=CONFIGURE)
async def remove_button(
    query: CallbackQuery, callback_data: MuteRemove, conn: AsyncConnection
) -> None:
    if not await mutes.remove_by_id(conn, pressed_on(query).chat.id, callback_data.id):
        await query.answer(texts.STALE_BUTTON)
        return
    await _refresh(query, conn)
    await query.answer(texts.REMOVED)


@feature.callback_query(AdsShow.filter(), Holds(F.message), flags=CONFIGURE)
async def ads_button(query: CallbackQuery, callback_data: AdsShow, conn: AsyncConnection) -> None:
    chat = await remember_chat(conn, pressed_on(query).chat)
    await chats.set_chat_options(conn, chat.id, show_ads=callback_data.on)
    await _refresh(query, conn)
    await query.answer()
