"""Channels and groups: /channel add|remove|list, and the bot's own membership changes
(added, kicked, blocked; a group that became a supergroup)."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import (
    IS_MEMBER,
    IS_NOT_MEMBER,
    ChatMemberUpdatedFilter,
    Command,
    CommandObject,
)
from aiogram.types import Chat as TgChat
from aiogram.types import ChatMemberUpdated, Message
from aiogram.utils.formatting import as_list
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import render, texts
from bot.config import Settings
from bot.handlers.common import (
    Holds,
    chat_title,
    parse_time,
    parse_timezone,
    quoted,
    remember_chat,
)
from bot.handlers.feature import Feature
from bot.handlers.outlet_words import named_outlet
from bot.middlewares import WRITE
from bot.permissions import is_chat_admin
from bot.storage import chats

feature = Feature(__name__)


def parse_topics(words: list[str]) -> tuple[list[str], list[str]]:
    """Topic slugs named in `words` (comma or space separated) and the words that are none."""
    from summarizer.topics import find_topic

    found: list[str] = []
    unknown: list[str] = []
    for piece in filter(None, (part.strip() for part in " ".join(words).split(","))):
        topic = find_topic(piece)
        if topic is not None:
            found.append(topic.slug)
            continue
        for word in piece.split():
            topic = find_topic(word)
            if topic is None:
                unknown.append(word)
            else:
                found.append(topic.slug)
    return list(dict.fromkeys(found)), unknown


async def _outlets_in(
    conn: AsyncConnection, words: list[str]
) -> tuple[list[str], list[str], list[str]]:
    """The outlets named among comma-separated `words` («источник Медуза», «meduza.io»,
    «@channel»), the words left for topics, and the pieces naming no known outlet."""
    found: list[str] = []
    rest: list[str] = []
    missing: list[str] = []
    for piece in filter(None, (part.strip() for part in " ".join(words).split(","))):
        outlet = await named_outlet(conn, piece)
        if outlet is None:
            rest.append(piece + ",")
        elif outlet.name is None:
            missing.append(piece)
        else:
            found.append(outlet.name)
    return list(dict.fromkeys(found)), rest, missing


async def _find_chat(bot: Bot, name: str) -> TgChat | None:
    try:
        return await bot.get_chat(name)
    except (TelegramBadRequest, TelegramForbiddenError):
        return None


async def _bot_can_post(bot: Bot, chat: TgChat) -> bool:
    try:
        member = await bot.get_chat_member(chat.id, bot.id)
    except (TelegramBadRequest, TelegramForbiddenError):
        return False
    if member.status == ChatMemberStatus.CREATOR:
        return True
    if chat.type == ChatType.CHANNEL:
        return member.status == ChatMemberStatus.ADMINISTRATOR and bool(member.can_post_messages)
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(member.can_send_messages)
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER)


async def _caller_is_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    try:
        return await is_chat_admin(bot, chat_id, user_id)
    except (TelegramBadRequest, TelegramForbiddenError):
        return False


@feature.message(Command("channel"), flags=WRITE)
async def channel(
    message: Message, command: CommandObject, conn: AsyncConnection, bot: Bot, settings: Settings
) -> None:
    action, *words = (command.args or "").split() or [""]
    if action == "add" and words:
        await _add(message, conn, bot, settings, words)
    elif action == "remove" and len(words) == 1:
        await _remove(message, conn, bot, words[0])
    elif action == "list":
        await _list(message, conn)
    else:
        await message.answer(texts.CHANNEL_USAGE)


async def _add(
    message: Message, conn: AsyncConnection, bot: Bot, settings: Settings, words: list[str]
) -> None:
    name, *rest = words
    zone = parse_timezone(rest[-1]) if rest and parse_time(rest[-1]) is None else None
    if zone is not None:
        rest.pop()
    digest_time = parse_time(rest[-1]) if rest else None
    if digest_time is not None:
        rest.pop()
    outlets, rest, missing = await _outlets_in(conn, rest)
    topics, unknown = parse_topics(rest)
    if unknown or missing:
        await message.answer(**quoted(texts.CHANNEL_UNKNOWN_TOPICS, ", ".join(missing + unknown)))
        return
    if not topics and not outlets:
        await message.answer(texts.CHANNEL_NEEDS_TOPICS)
        return
    target = await _find_chat(bot, name)
    if target is None:
        await message.answer(**quoted(texts.CHANNEL_NOT_FOUND, name))
        return
    if target.type == ChatType.PRIVATE:
        await message.answer(**quoted(texts.CHANNEL_NOT_CHANNEL, name))
        return
    assert (
        message.from_user is not None
    )  # only channel posts come without one, and these are messages
    if not await _caller_is_admin(bot, target.id, message.from_user.id):
        await message.answer(**quoted(texts.CHANNEL_CALLER_NOT_ADMIN, name))
        return
    if not await _bot_can_post(bot, target):
        await message.answer(**quoted(texts.CHANNEL_BOT_CANNOT_POST, name))
        return
    chat = await chats.upsert_chat(
        conn,
        target.id,
        target.type,
        title=chat_title(target),
        username=target.username,
        added_by=message.from_user.id,
    )
    await chats.remove_all_subscriptions(conn, chat.id)
    for slug in topics:
        await chats.add_subscription(conn, chat.id, chats.TOPIC, slug, render.topic_name(slug))
    for outlet in outlets:
        await chats.add_subscription(conn, chat.id, chats.SOURCE, outlet, outlet)
    if zone is not None:
        await chats.set_timezone(conn, chat.id, zone)
    await chats.set_digest_time(conn, chat.id, digest_time)
    await chats.set_instant(conn, chat.id, digest_time is None)
    names = ", ".join([render.topic_name(slug) for slug in topics] + outlets)
    if digest_time is None:
        await message.answer(**quoted(texts.CHANNEL_ADDED_INSTANT, name, names))
    else:
        zone_label = render.zone_label(zone or chat.timezone or settings.timezone)
        await message.answer(
            **quoted(texts.CHANNEL_ADDED_DIGEST, name, digest_time, zone_label, names)
        )


async def _remove(message: Message, conn: AsyncConnection, bot: Bot, name: str) -> None:
    chat = await chats.get_chat_by_username(conn, name)
    if chat is None and name.lstrip("-").isdigit():
        chat = await chats.get_chat(conn, int(name))
    if chat is None or not chat.active or chat.kind == ChatType.PRIVATE:
        await message.answer(**quoted(texts.CHANNEL_NOT_CONNECTED, name))
        return
    assert (
        message.from_user is not None
    )  # only channel posts come without one, and these are messages
    user_id = message.from_user.id
    if chat.added_by != user_id and not await _caller_is_admin(bot, chat.id, user_id):
        await message.answer(**quoted(texts.CHANNEL_CALLER_NOT_ADMIN, name))
        return
    await chats.remove_all_subscriptions(conn, chat.id)
    await chats.set_digest_time(conn, chat.id, None)
    await chats.set_instant(conn, chat.id, False)
    await chats.deactivate_chat(conn, chat.id, "removed by /channel remove")
    await message.answer(**quoted(texts.CHANNEL_REMOVED, name))


async def _list(message: Message, conn: AsyncConnection) -> None:
    assert (
        message.from_user is not None
    )  # only channel posts come without one, and these are messages
    connected = await chats.chats_added_by(conn, message.from_user.id)
    if not connected:
        await message.answer(texts.CHANNEL_LIST_EMPTY)
        return
    lines = [texts.CHANNEL_LIST_TITLE]
    for chat in connected:
        subs = await chats.list_subscriptions(conn, chat.id)
        name = f"@{chat.username}" if chat.username else chat.title or str(chat.id)
        when = chat.digest_time or texts.CHANNEL_LIST_INSTANT
        topics = ", ".join(sub.label for sub in subs)
        lines.append(f"{name} — {topics}, {when}")
    await message.answer(**as_list(*lines).as_kwargs())


@feature.my_chat_member(ChatMemberUpdatedFilter(IS_MEMBER >> IS_NOT_MEMBER), flags=WRITE)
async def bot_removed(update: ChatMemberUpdated, conn: AsyncConnection) -> None:
    await chats.deactivate_chat(conn, update.chat.id, f"bot is {update.new_chat_member.status}")


@feature.my_chat_member(ChatMemberUpdatedFilter(IS_NOT_MEMBER >> IS_MEMBER), flags=WRITE)
async def bot_added(update: ChatMemberUpdated, conn: AsyncConnection) -> None:
    await remember_chat(conn, update.chat)


@feature.message(Holds(F.migrate_to_chat_id), flags=WRITE)
async def group_migrated(message: Message, conn: AsyncConnection) -> None:
    assert message.migrate_to_chat_id is not None  # the filter matched it
    await chats.migrate_chat(conn, message.chat.id, message.migrate_to_chat_id)
