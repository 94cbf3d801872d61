"""What a reader's words name when they name a source: «источник Медуза», a site's domain
(«meduza.io»), or a channel («@name», a t.me link). /subscribe and /mute share it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import texts
from bot.channel_refs import NotAChannel, channel_name, is_channel_ref
from bot.handlers.common import MAX_KEYWORD_CHARS
from bot.storage import outlets


@dataclass(frozen=True)
class NamedOutlet:
    typed: str  # the words as the reader wrote them, for the answer
    name: str | None = None  # the outlet found (None: no such outlet)
    problem: str | None = None  # why the words name no channel, in one line


def _source_words(words: str) -> str | None:
    """ "источник Медуза" -> "Медуза"; None when the words do not start so."""
    first, _, rest = words.partition(" ")
    return rest.strip() if first.casefold() == texts.SOURCE_WORD and rest.strip() else None


def _domain(words: str) -> str | None:
    """ "meduza.io", "https://www.meduza.io/" -> "meduza.io"; None for anything else."""
    if " " in words or "." not in words:
        return None
    try:
        host = urlsplit(words if "://" in words else f"https://{words}").hostname or ""
    except ValueError:
        return None
    labels = host.split(".")
    if len(labels) < 2 or not all(labels) or len(labels[-1]) < 2 or not labels[-1].isalpha():
        return None
    if not all(char.isalnum() or char in ".-" for char in host):
        return None
    return host.removeprefix("www.")


async def named_outlet(conn: AsyncConnection, words: str) -> NamedOutlet | None:
    """The outlet the words name, if they name one by a form of a source; None when they are
    not written as a source (then they are a topic or a word)."""
    words = " ".join(words.split())[:MAX_KEYWORD_CHARS]
    by_name = _source_words(words)
    if by_name is not None:
        return NamedOutlet(by_name, await outlets.by_name(conn, by_name))
    if is_channel_ref(words):
        try:
            name = channel_name(words)
        except NotAChannel as error:
            return NamedOutlet(words, problem=str(error))
        return NamedOutlet(words, await outlets.by_channel(conn, name))
    host = _domain(words)
    if host is not None:
        return NamedOutlet(words, await outlets.by_domain(conn, host))
    return None
