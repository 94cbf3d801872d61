"""Bot administrators (SVODKA_ADMINS): /add, a link or forwarded article in private, /feeds,
/feed add|remove, /stats. Everyone else gets a clear refusal."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from aiogram import F
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    MaybeInaccessibleMessageUnion,
    Message,
)
from aiogram.utils.formatting import Bold, as_list
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, render, texts
from bot.callbacks import FeedsMore
from bot.config import Settings
from bot.handlers.buttons import pressed_on
from bot.handlers.common import Holds, answer_rendered, chat_zone, quoted
from bot.handlers.feature import Feature
from bot.middlewares import NO_DB, WRITE
from bot.permissions import is_admin
from bot.storage import articles, chats, deliveries, retention, sources
from bot.storage import stats as stats_queries
from bot.storage.database import Database
from bot.storage.schema import utcnow

if TYPE_CHECKING:  # the ingest stack (numpy, scipy, trafilatura) loads on the first /add
    from bot.ingest.offload import Offload
    from bot.ingest.pipeline import IngestResult

feature = Feature(__name__)
ADMIN_COMMANDS = ("add", "feeds", "feed", "stats")
URL_PREFIXES = ("http://", "https://")
FEEDS_PER_PAGE = 10
MAX_FEED_BLOCK = 350  # characters: a page of blocks stays under Telegram's 4096


async def is_not_admin(message: Message, settings: Settings) -> bool:
    return not await is_admin(message, settings)


@feature.message(Command(*ADMIN_COMMANDS), is_not_admin, flags=NO_DB)
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
    from bot.ingest.intake import fetch_and_ingest_url
    from bot.ingest.pipeline import ingest_document

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
    assert result.article_id is not None  # stored, merged or a duplicate of one
    async with db.read() as conn:
        view = await articles.get(conn, result.article_id)
        tz = await chat_zone(conn, message.chat.id, settings)
    notes = {"duplicate": texts.ADD_DUPLICATE, "merged": texts.ADD_MERGED}
    if result.status in notes:
        await message.answer(notes[result.status])
    if view is not None:
        await answer_rendered(message, render.render_article(view, tz))


@feature.message(Command("add"), is_admin, flags=NO_DB)
async def add(
    message: Message, command: CommandObject, db: Database, settings: Settings, offload: Offload
) -> None:
    if not command.args:
        await message.answer(texts.ADD_USAGE)
        return
    await _ingest(message, db, settings, offload, command.args.strip())


@feature.message(
    Holds(F.chat.type == ChatType.PRIVATE),
    Holds(F.forward_origin | F.text.regexp(r"^https?://\S+$")),
    Holds(F.text | F.caption),
    is_admin,
    flags=NO_DB,
)
async def add_by_message(
    message: Message, db: Database, settings: Settings, offload: Offload
) -> None:
    await _ingest(message, db, settings, offload, (message.text or message.caption or "").strip())


@feature.message(Command("feeds"), is_admin)
async def list_feeds(message: Message, conn: AsyncConnection, settings: Settings) -> None:
    await show_feeds(message, conn, settings, offset=0)


@feature.callback_query(FeedsMore.filter(), is_admin, Holds(F.message))
async def more_feeds(
    query: CallbackQuery, callback_data: FeedsMore, conn: AsyncConnection, settings: Settings
) -> None:
    await query.answer()
    await show_feeds(pressed_on(query), conn, settings, offset=callback_data.offset)


async def show_feeds(
    message: MaybeInaccessibleMessageUnion,
    conn: AsyncConnection,
    settings: Settings,
    *,
    offset: int,
) -> None:
    """One message of FEEDS_PER_PAGE feeds from `offset`, with «Ещё» when more follow: a list
    of thousands of feeds is read page by page, not sent as hundreds of messages."""
    now = utcnow()
    feeds = await sources.feeds_health(conn, now)
    if not feeds:
        await message.answer(texts.FEEDS_EMPTY)
        return
    tz = await chat_zone(conn, message.chat.id, settings)
    shown = feeds[offset : offset + FEEDS_PER_PAGE]
    blocks = [
        feed_block(number, health, now, tz)[:MAX_FEED_BLOCK]
        for number, health in enumerate(shown, offset + 1)
    ]
    following = offset + len(shown)
    more = FeedsMore(offset=following) if following < len(feeds) else None
    await message.answer(
        **as_list(texts.FEEDS_TITLE.format(len(feeds)), *blocks).as_kwargs(),
        reply_markup=keyboards.more(more),
    )


def feed_block(number: int, health: sources.FeedHealth, now: datetime, tz: tzinfo) -> str:
    """One feed for /feeds: name and URL, then what the operator asks about it."""
    feed = health.feed

    def when(moment: datetime | None) -> str:
        return f"{moment.astimezone(tz):%d.%m %H:%M}" if moment else texts.FEED_NEVER

    name = f"{feed.title} — {feed.url}" if feed.title else feed.url
    if feed.kind == sources.ADMIN_CHANNEL:  # nothing polled: no interval, no poll times
        lines = [f"{number}. {name}", texts.ADMIN_CHANNEL_STATE.format(health.articles_24h)]
        if feed.failing_since:
            lines.append(texts.FEED_LAST_ERROR.format(when(feed.last_error_at), feed.last_error))
        return "\n".join(lines)
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


@feature.message(Command("feed"), is_admin, flags=WRITE)
async def feed(
    message: Message, command: CommandObject, conn: AsyncConnection, settings: Settings
) -> None:
    from bot.channel_refs import NotAChannel, is_channel_ref, source_url
    from bot.ingest.document import SourceError
    from bot.ingest.fetch import check_destination

    action, _, url = (command.args or "").strip().partition(" ")
    url = url.strip()
    if action not in ("add", "remove") or not url:
        await message.answer(texts.FEED_USAGE)
        return
    if action == "remove":
        try:
            removed = await sources.remove_feed(conn, source_url(url))
        except NotAChannel as error:
            await message.answer(**quoted("{}", str(error)))
            return
        await message.answer(texts.FEED_REMOVED if removed else texts.FEED_NOT_FOUND)
        return
    if is_channel_ref(url):
        await add_public_channel(message, conn, settings, url)
        return
    try:
        await check_destination(url, settings)
    except SourceError as error:
        await message.answer(**quoted(texts.ADD_REJECTED, in_russian(str(error))))
        return
    await sources.add_feed(conn, url, poll_interval=settings.feed_poll_interval)
    await message.answer(texts.FEED_ADDED)


async def add_public_channel(
    message: Message, conn: AsyncConnection, settings: Settings, ref: str
) -> None:
    """`/feed add @name`: a public channel, read from its web preview like a polled feed."""
    from bot.channel_refs import NotAChannel, source_url

    try:
        url = source_url(ref)
    except NotAChannel as error:
        await message.answer(**quoted("{}", str(error)))
        return
    await sources.add_feed(
        conn, url, poll_interval=settings.feed_poll_interval, kind=sources.CHANNEL
    )
    await message.answer(texts.CHANNEL_ADDED)


@feature.message(Command("stats"), is_admin, flags=NO_DB)
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
