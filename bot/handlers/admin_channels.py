"""Channels the bot administers as sources: `/feed add @name` or `/feed add -100…` by a bot
administrator stores one (after asking Telegram whether the bot administers it), `/feed
remove` drops it, and its `channel_post` updates become documents at once.

A `@name` the bot does not administer is left to the public-channel path (its web preview),
by skipping to the next `/feed` handler. Posts of channels that are no source are ignored,
and so are edits (`edited_channel_post` is not asked for): the stored text stays.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from weakref import WeakValueDictionary

from aiogram import Bot, F
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ChatMemberStatus, ChatType, MessageEntityType
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Chat, ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import texts
from bot.channel_refs import (
    CHAT_ID,
    NotAChannel,
    channel_name,
    is_channel_ref,
    permalink,
    preview_url,
    private_permalink,
    private_url,
)
from bot.config import Settings
from bot.handlers.common import Holds, quoted
from bot.handlers.feature import Feature
from bot.middlewares import NO_DB, WRITE
from bot.permissions import is_admin
from bot.storage import admin_channels
from bot.storage.database import Database
from bot.storage.schema import utcnow

if TYPE_CHECKING:  # the ingest stack loads with the first post
    from bot.ingest.channel_posts import Post
    from bot.ingest.offload import Offload

feature = Feature(__name__)
logger = logging.getLogger(__name__)
ADMINISTERS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR)
TELEGRAM_DOWN = (TelegramNetworkError, TelegramServerError, TelegramRetryAfter)


class ChannelArgument(Filter):
    """`/feed <action> <channel>` where the argument is written as a channel (@name, a t.me
    link, -100…; with `ids_only`, -100… alone), as opposed to a feed URL; passes it on as
    `ref`."""

    def __init__(self, action: str, *, ids_only: bool = False) -> None:
        self.action = action
        self.ids_only = ids_only

    async def __call__(self, message: Message, command: CommandObject) -> dict | bool:
        action, _, ref = (command.args or "").strip().partition(" ")
        ref = ref.strip()
        named = CHAT_ID.fullmatch(ref) if self.ids_only else is_channel_ref(ref)
        if action != self.action or not named:
            return False
        return {"ref": ref}


def chat_ref(ref: str) -> int | str:
    """What getChat takes for `ref`: the chat id, or "@name"; NotAChannel for a bad name."""
    return int(ref) if CHAT_ID.fullmatch(ref) else "@" + channel_name(ref)


def stored_url(chat: Chat) -> str:
    """A channel's source URL: its web preview if it is public, t.me/c/<id> if private."""
    return preview_url(chat.username.lower()) if chat.username else private_url(chat.id)


async def administered(bot: Bot, ref: int | str) -> Chat | None:
    """The channel `ref` if the bot is one of its administrators, else None. Telegram's own
    failures (network, 5xx, flood wait) are raised: that is no answer."""
    try:
        chat = await bot.get_chat(ref)
        if chat.type != ChatType.CHANNEL:
            return None
        member = await bot.get_chat_member(chat.id, bot.id)
    except (TelegramBadRequest, TelegramForbiddenError):
        return None
    return chat if member.status in ADMINISTERS else None


@feature.message(Command("feed"), is_admin, ChannelArgument("add"), flags=NO_DB)
async def add_channel(message: Message, ref: str, bot: Bot, db: Database) -> None:
    """Telegram is asked before any transaction opens; only then is the source written."""
    try:
        target = await administered(bot, chat_ref(ref))
    except NotAChannel as error:
        await message.answer(**quoted("{}", str(error)))
        return
    except TELEGRAM_DOWN:
        await message.answer(texts.ADMIN_CHANNEL_NO_TELEGRAM)
        return
    if target is None:
        if CHAT_ID.fullmatch(ref):
            await message.answer(**quoted(texts.ADMIN_CHANNEL_REFUSED, ref))
            return
        raise SkipHandler  # a public channel the bot is not in: read from its web preview
    async with db.transaction() as conn:
        await admin_channels.add(conn, target.id, stored_url(target), target.title)
    await message.answer(**quoted(texts.ADMIN_CHANNEL_ADDED, target.title or ref))


@feature.message(Command("feed"), is_admin, ChannelArgument("remove", ids_only=True), flags=WRITE)
async def remove_channel(message: Message, ref: str, conn: AsyncConnection) -> None:
    """`/feed remove -100…`: a channel by its chat id (by @name or URL, the feed path removes
    it as any feed)."""
    removed = await admin_channels.remove(conn, int(ref))
    await message.answer(texts.FEED_REMOVED if removed else texts.FEED_NOT_FOUND)


# One lock per channel while any of its posts is being taken, so that they are taken in the
# order they came (updates are handled as concurrent tasks, started in that order): an
# album's first caption is the one kept. Across bot instances the album claim still keeps
# one, though not always the first.
_turns: WeakValueDictionary[int, asyncio.Lock] = WeakValueDictionary()


def _turn(chat_id: int) -> asyncio.Lock:
    lock = _turns.get(chat_id)
    if lock is None:
        lock = _turns[chat_id] = asyncio.Lock()
    return lock


@feature.my_chat_member(Holds(F.chat.type == ChatType.CHANNEL), flags=NO_DB)
async def rights_changed(update: ChatMemberUpdated, db: Database, settings: Settings) -> None:
    """The bot's rights in a channel changed: a source it no longer administers gets no
    posts (see admin_channels.lose), one it administers again gets them again. The update
    then goes on to the other handlers of my_chat_member (bot/handlers/channels.py)."""
    async with db.transaction() as conn:
        if update.new_chat_member.status in ADMINISTERS:
            await admin_channels.regain(conn, update.chat.id)
        else:
            await admin_channels.lose(
                conn,
                update.chat.id,
                utcnow(),
                reason=texts.ADMIN_CHANNEL_LOST,
                poll_interval=settings.feed_poll_interval,
            )
    raise SkipHandler


@feature.channel_post(Holds(F.text | F.caption))
async def channel_post(
    message: Message, db: Database, settings: Settings, offload: Offload
) -> None:
    async with _turn(message.chat.id):
        await take_post(message, db, settings, offload)


async def take_post(message: Message, db: Database, settings: Settings, offload: Offload) -> None:
    """A post of an administered channel goes where posts read from a web preview go (a
    teaser completed from its link); an album (one message per photo, sharing a
    media_group_id) once, by its first caption."""
    from bot.ingest import fetch
    from bot.ingest.channels import ingest_posts

    async with db.read() as conn:
        source = await admin_channels.of_chat(conn, message.chat.id)
    if source is None:
        return
    if message.media_group_id is not None:
        async with db.transaction() as conn:
            first = await admin_channels.claim_album(
                conn, message.chat.id, message.media_group_id, utcnow()
            )
        if not first:
            return
    async with fetch.open_session(settings) as session:
        taken = await ingest_posts(db, [post_of(message)], source, settings, session, offload)
    for url, result in taken:
        logger.info("channel post %s: %s %s", url, result.status, result.reason or "")


def post_of(message: Message) -> Post:
    """The post a channel_post update carries, as the web preview would show it."""
    from bot.ingest.channel_posts import Post

    chat = message.chat
    if chat.username:
        url = permalink(chat.username.lower(), message.message_id)
    else:
        url = private_permalink(chat.id, message.message_id)
    return Post(
        url=url,
        channel=chat.title or "",
        username=chat.username,
        published=message.date,
        text=message.text or message.caption or "",
        forwarded_from=forwarded_from(message),
        link=first_link(message),
    )


def forwarded_from(message: Message) -> str | None:
    """The channel a forwarded post came from (its outlet in a story), by its title."""
    origin = message.forward_origin
    chat = getattr(origin, "chat", None) or getattr(origin, "sender_chat", None)
    return chat.title if chat is not None else None


def first_link(message: Message) -> str | None:
    """The first web link of the post (a teaser's article), written out or behind a word."""
    text = message.text or message.caption or ""
    for entity in message.entities or message.caption_entities or ():
        if entity.type == MessageEntityType.TEXT_LINK:
            return entity.url
        if entity.type == MessageEntityType.URL:
            return entity.extract_from(text)
    return None
