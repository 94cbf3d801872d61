"""Bot administrators (SVODKA_ADMINS): /add, a link or forwarded article in private, /feeds,
/feed add|remove, /stats. Everyone else gets a clear refusal."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.formatting import Bold, as_list
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import render, texts
from bot.config import Settings
from bot.handlers.common import Magic, answer_rendered, chat_zone, quoted
from bot.middlewares import NO_DB, WRITE
from bot.storage import articles, chats, deliveries, retention, sources
from bot.storage import stats as stats_queries
from bot.storage.database import Database
from bot.storage.schema import utcnow

if TYPE_CHECKING:  # the ingest stack (numpy, scipy, trafilatura) loads on the first /add
    from bot.ingest.offload import Offload
    from bot.ingest.pipeline import IngestResult

router = Router(name=__name__)
ADMIN_COMMANDS = ("add", "feeds", "feed", "stats")
URL_PREFIXES = ("http://", "https://")


async def is_admin(message: Message, settings: Settings) -> bool:
    return message.from_user is not None and message.from_user.id in settings.admins


async def is_not_admin(message: Message, settings: Settings) -> bool:
    return not await is_admin(message, settings)


@router.message(Command(*ADMIN_COMMANDS), is_not_admin, flags=NO_DB)
async def refuse(message: Message) -> None:
    await message.answer(texts.NOT_ADMIN)


def in_russian(problem: str) -> str:
    """An ingest problem line as the admin reads it; a line no pattern knows stays as it is."""
    for pattern, text in texts.INGEST_PROBLEMS:
        if found := re.match(pattern, problem):
            return text.format(*found.groups())
    return problem


async def _ingest(
    message: Message, db: Database, settings: Settings, offload: Offload, source: str
) -> None:
    from bot.ingest.document import Document
    from bot.ingest.pipeline import fetch_and_ingest_url, ingest_document

    if source.startswith(URL_PREFIXES) and len(source.split()) == 1:
        result = await fetch_and_ingest_url(db, source, settings, offload)
    else:
        doc = Document(text=source, source_name=_forwarded_from(message))
        result = await ingest_document(db, doc, offload)
    await _report(message, db, settings, result)


def _forwarded_from(message: Message) -> str | None:
    origin = message.forward_origin
    chat = getattr(origin, "chat", None) or getattr(origin, "sender_chat", None)
    return chat.title if chat is not None else None


async def _report(message: Message, db: Database, settings: Settings, result: IngestResult) -> None:
    if result.status == "rejected":
        await message.answer(**quoted(texts.ADD_REJECTED, in_russian(result.reason or "?")))
        return
    async with db.read() as conn:
        view = await articles.get(conn, result.article_id)
        tz = await chat_zone(conn, message.chat.id, settings)
    notes = {"duplicate": texts.ADD_DUPLICATE, "merged": texts.ADD_MERGED}
    if result.status in notes:
        await message.answer(notes[result.status])
    if view is not None:
        await answer_rendered(message, render.render_article(view, tz))


@router.message(Command("add"), is_admin, flags=NO_DB)
async def add(
    message: Message, command: CommandObject, db: Database, settings: Settings, offload: Offload
) -> None:
    if not command.args:
        await message.answer(texts.ADD_USAGE)
        return
    await _ingest(message, db, settings, offload, command.args.strip())


@router.message(
    Magic(F.chat.type == ChatType.PRIVATE),
    Magic(F.forward_origin | F.text.regexp(r"^https?://\S+$")),
    Magic(F.text | F.caption),
    is_admin,
    flags=NO_DB,
)
async def add_by_message(
    message: Message, db: Database, settings: Settings, offload: Offload
) -> None:
    await _ingest(message, db, settings, offload, (message.text or message.caption).strip())


@router.message(Command("feeds"), is_admin)
async def list_feeds(message: Message, conn: AsyncConnection, settings: Settings) -> None:
    now = utcnow()
    feeds = await sources.feeds_health(conn, now)
    if not feeds:
        await message.answer(texts.FEEDS_EMPTY)
        return
    tz = await chat_zone(conn, message.chat.id, settings)
    blocks = [feed_block(number, health, now, tz) for number, health in enumerate(feeds, 1)]
    for part in in_parts([texts.FEEDS_TITLE.format(len(feeds)), *blocks]):
        await message.answer(**as_list(*part).as_kwargs())


def feed_block(number: int, health: sources.FeedHealth, now: datetime, tz: tzinfo) -> str:
    """One feed for /feeds: name and URL, then what the operator asks about it."""
    feed = health.feed

    def when(moment: datetime | None) -> str:
        return f"{moment.astimezone(tz):%d.%m %H:%M}" if moment else texts.FEED_NEVER

    name = f"{feed.title} — {feed.url}" if feed.title else feed.url
    lines = [
        f"{number}. {name}",
        texts.FEED_STATE.format(
            feed.poll_interval // 60,
            health.articles_24h,
            when(feed.last_success_at),
            when(feed.next_poll_at),
        ),
    ]
    if feed.last_error:
        lines.append(texts.FEED_LAST_ERROR.format(when(feed.last_error_at), feed.last_error))
    if health.failing_long(now):
        lines.append(texts.FEED_FAILING_LONG.format(when(feed.failing_since)))
    return "\n".join(lines)


def in_parts(blocks: list[str], *, limit: int = 3500) -> list[list[str]]:
    """Blocks grouped into messages of at most `limit` characters (Telegram's is 4096)."""
    parts: list[list[str]] = [[]]
    size = 0
    for block in blocks:
        block = block[:limit]
        if parts[-1] and size + len(block) > limit:
            parts.append([])
            size = 0
        parts[-1].append(block)
        size += len(block) + 1
    return parts


@router.message(Command("feed"), is_admin, flags=WRITE)
async def feed(
    message: Message, command: CommandObject, conn: AsyncConnection, settings: Settings
) -> None:
    from bot.ingest.document import SourceError
    from bot.ingest.fetch import check_destination

    action, _, url = (command.args or "").strip().partition(" ")
    url = url.strip()
    if action not in ("add", "remove") or not url:
        await message.answer(texts.FEED_USAGE)
        return
    if action == "remove":
        removed = await sources.remove_feed(conn, url)
        await message.answer(texts.FEED_REMOVED if removed else texts.FEED_NOT_FOUND)
        return
    try:
        await check_destination(url, settings)
    except SourceError as error:
        await message.answer(**quoted(texts.ADD_REJECTED, in_russian(str(error))))
        return
    await sources.add_feed(conn, url, poll_interval=settings.feed_poll_interval)
    await message.answer(texts.FEED_ADDED)


@router.message(Command("stats"), is_admin, flags=NO_DB)
async def stats(message: Message, db: Database, settings: Settings, offload: Offload) -> None:
    """The numbers, then the chart (drawn off the event loop once the database is let go)."""
    from bot.charts import DAYS, HOURS, render_stats_chart, stats_series

    now = utcnow()
    async with db.read() as conn:
        lines = await _stats_lines(conn)
        tz = await chat_zone(conn, message.chat.id, settings)
        topic_rows = await stats_queries.articles_per_hour_by_topic(
            conn, now - timedelta(days=DAYS + 1)
        )
        delivery_rows = await stats_queries.deliveries_per_hour(conn, now - timedelta(hours=HOURS))
    await message.answer(**as_list(*lines).as_kwargs())
    series = stats_series(topic_rows, delivery_rows, now=now, tz=tz, topic_name=render.topic_name)
    chart = await render_stats_chart(series, offload)
    await message.answer_photo(BufferedInputFile(chart, filename="svodka-stats.png"))


async def _stats_lines(conn: AsyncConnection) -> list:
    per_topic = await stats_queries.articles_by_topic(conn)
    kinds = await chats.count_chats(conn)
    states = await deliveries.counts(conn)
    errors = await deliveries.last_errors(conn)
    topics_line = ", ".join(
        f"{render.topic_name(slug)} {number}" for slug, number in per_topic.items()
    )
    groups = kinds.get("group", 0) + kinds.get("supergroup", 0)
    delivery_states = ", ".join(
        f"{texts.DELIVERY_STATES.get(state, state)} {number}"
        for state, number in sorted(states.items())
    )
    return [
        Bold(texts.STATS_TITLE),
        texts.STATS_ARTICLES.format(await articles.count(conn)),
        texts.STATS_TOPICS.format(topics_line or "—"),
        texts.STATS_CHATS.format(
            sum(kinds.values()), kinds.get("private", 0), groups, kinds.get("channel", 0)
        ),
        texts.STATS_DELIVERIES.format(delivery_states or "—"),
        texts.STATS_DATABASE.format(await retention.database_size(conn) / 2**20),
        texts.STATS_ERRORS if errors else texts.STATS_NO_ERRORS,
        *(f"{error.chat_id} {error.item}: {error.error}" for error in errors),
    ]
