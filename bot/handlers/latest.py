"""/latest [topic or keyword] [N] and its "Ещё" button."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, MaybeInaccessibleMessageUnion, Message
from aiogram.utils.formatting import Bold
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, render, texts
from bot.callbacks import LatestMore
from bot.config import Settings
from bot.handlers.buttons import pressed_on
from bot.handlers.common import Holds, Subject, answer_messages, parse_subject, quoted
from bot.handlers.feature import Feature
from bot.storage import articles, chats, mutes, stories

feature = Feature(__name__)
DEFAULT_COUNT = 5
MAX_COUNT = 20

# A query travels in the "Ещё" button as its scope: "@" the chat's subscriptions (everything
# when it has none), "t<slug>" a topic, "k<words>" a keyword (":" separates callback fields).
SUBSCRIPTIONS = "@"


@dataclass(frozen=True)
class Request:
    scope: str
    count: int
    capped: bool


def parse_request(args: str | None) -> Request | None:
    """ "спорт 10" -> topic sport, 10 articles; None when the count is not 1..MAX_COUNT."""
    words = (args or "").split()
    count = DEFAULT_COUNT
    if words and words[-1].lstrip("-").isdigit():
        count = int(words.pop())
        if count < 1:
            return None
    subject = parse_subject(" ".join(words)) if words else None
    scope = SUBSCRIPTIONS if subject is None else _scope(subject)
    return Request(scope, min(count, MAX_COUNT), count > MAX_COUNT)


def _scope(subject: Subject) -> str:
    if subject.kind == chats.TOPIC:
        return f"t{subject.value}"
    return "k" + subject.label.replace(":", " ")


def scope_query(scope: str, subs: list[chats.Subscription]) -> tuple[dict, str | None]:
    """latest() arguments for a scope, and the header's words (None: everything)."""
    if scope.startswith("t"):
        return {"topics": [scope[1:]]}, render.topic_name(scope[1:])
    if scope.startswith("k"):
        return {"keywords": [scope[1:]]}, scope[1:]
    mine = subs if scope == SUBSCRIPTIONS else []
    topics = [sub.value for sub in mine if sub.kind == chats.TOPIC]
    keywords = [sub.value for sub in mine if sub.kind == chats.KEYWORD]
    sources = [sub.value for sub in mine if sub.kind == chats.SOURCE]
    return {"topics": topics, "keywords": keywords, "sources": sources}, None


@dataclass(frozen=True)
class Wording:
    """What a listing of stories says: its count error, its empty answers and its headers."""

    count_range: str
    empty: str
    empty_for: str
    header_all: str
    header_subs: str
    header_for: str


LATEST_WORDING = Wording(
    texts.LATEST_COUNT_RANGE,
    texts.LATEST_EMPTY,
    texts.LATEST_EMPTY_FOR,
    texts.LATEST_HEADER_ALL,
    texts.LATEST_HEADER_SUBS,
    texts.LATEST_HEADER_FOR,
)


async def read_request(message: Message, args: str | None, wording: Wording) -> Request | None:
    """The request of `args`; None, with the reason answered, when the count is out of range.
    A count over MAX_COUNT is capped, and the user told."""
    request = parse_request(args)
    if request is None:
        await message.answer(wording.count_range.format(MAX_COUNT))
        return None
    if request.capped:
        await message.answer(texts.LATEST_CAPPED.format(MAX_COUNT))
    return request


async def answer_empty(
    message: MaybeInaccessibleMessageUnion, wording: Wording, about: str | None
) -> None:
    if about is not None:
        await message.answer(**quoted(wording.empty_for, about))
    else:
        await message.answer(wording.empty)


def header(wording: Wording, query: dict, about: str | None) -> Bold:
    """The listing's header: what was asked for, the chat's subscriptions, or everything."""
    if about is not None:
        return Bold(wording.header_for.format(about))
    if any(query.values()):
        return Bold(wording.header_subs)
    return Bold(wording.header_all)


async def show_latest(
    message: MaybeInaccessibleMessageUnion,
    conn: AsyncConnection,
    settings: Settings,
    scope: str,
    count: int,
    before_id: int | None = None,
) -> None:
    chat, subs = await chats.chat_with_subscriptions(conn, message.chat.id)
    query, about = scope_query(scope, subs)
    hidden = await mutes.hidden_for(conn, message.chat.id)
    told = await stories.latest_page(conn, **query, count=count, before_id=before_id, hidden=hidden)
    views = told.views
    if not views:
        if before_id is not None:
            await message.answer(texts.NOTHING_MORE)
        else:
            await answer_empty(message, LATEST_WORDING, about)
        return
    # A next page continues the first one: no header.
    heading = None if before_id is not None else header(LATEST_WORDING, query, about)
    tz = render.zone(chat.timezone if chat else None, settings.timezone)
    sentences = (chat.summary_sentences if chat else None) or keyboards.DEFAULT_SENTENCES
    views = await articles.lengthened(conn, views, sentences)
    parts = render.render_articles(views, tz, header=heading, summary_sentences=sentences)
    more = None
    if len(views) == count and told.before is not None:
        more = LatestMore(scope=scope, before=told.before, count=count)
    await answer_messages(message, parts, keyboards.more(more))


@feature.message(Command("latest"))
async def latest(
    message: Message, command: CommandObject, conn: AsyncConnection, settings: Settings
) -> None:
    request = await read_request(message, command.args, LATEST_WORDING)
    if request is not None:
        await show_latest(message, conn, settings, request.scope, request.count)


@feature.callback_query(LatestMore.filter(F.count.in_(range(1, MAX_COUNT + 1))), Holds(F.message))
async def more(
    query: CallbackQuery, callback_data: LatestMore, conn: AsyncConnection, settings: Settings
) -> None:
    await query.answer()
    await show_latest(
        pressed_on(query),
        conn,
        settings,
        callback_data.scope,
        callback_data.count,
        before_id=callback_data.before,
    )
