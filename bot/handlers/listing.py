"""What the story listings (/latest, /top) share: reading «[topic or keyword] [N]», the query
a scope stands for, and the words of their answers."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import MaybeInaccessibleMessageUnion, Message
from aiogram.utils.formatting import Bold

from bot import render, texts
from bot.handlers.common import Subject, parse_subject, quoted
from bot.storage import chats

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
