"""/digest: the chat's digest right now, as the scheduled one would look."""

from __future__ import annotations

from datetime import timedelta

from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import texts
from bot.config import Settings
from bot.handlers.common import answer_messages, chat_zone
from bot.handlers.feature import Feature
from bot.storage import articles, chats, mutes, stories
from bot.storage.schema import utcnow

feature = Feature(__name__)
PERIOD = timedelta(days=1)


@feature.message(Command("digest"))
async def digest(message: Message, conn: AsyncConnection, settings: Settings) -> None:
    from bot.delivery.messages import digest_messages

    subs = await chats.list_subscriptions(conn, message.chat.id)
    topics = [sub.value for sub in subs if sub.kind == chats.TOPIC]
    keywords = [sub.value for sub in subs if sub.kind == chats.KEYWORD]
    sources = [sub.value for sub in subs if sub.kind == chats.SOURCE]
    views = await articles.latest(
        conn,
        topics=topics,
        keywords=keywords,
        sources=sources,
        limit=settings.digest_max_articles,
    )
    since = utcnow() - PERIOD
    hidden = await mutes.hidden_for(conn, message.chat.id)
    recent = await mutes.visible(
        conn, [view for view in views if view.ingested_at >= since], hidden
    )
    views = await mutes.visible(conn, (await stories.one_per_story(conn, recent)).views, hidden)
    if not views:
        await message.answer(texts.DIGEST_EMPTY)
        return
    tz = await chat_zone(conn, message.chat.id, settings)
    parts = digest_messages(
        views,
        tz,
        utcnow().astimezone(tz).date(),
        topics=topics,
        summary_sentences=settings.digest_summary_sentences,
    )
    await answer_messages(message, parts)
