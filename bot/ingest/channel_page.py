"""A public channel's web preview (`t.me/s/<name>`) read into posts.

Parsed with lxml.html, a real HTML parser (libxml2's, installed with trafilatura): the page is
hostile input and its markup changes over the years, so messages are found by their classes
anywhere in the tree (XPath over a parsed document), never by one exact parent chain or by
regular expressions over the HTML. libxml2 parses in linear time, recovers from broken markup
like a browser, and the page is already capped at SVODKA_FETCH_MAX_BYTES by the fetch layer.
This runs where feed parsing runs (an offload worker process), within PAGE_BUDGET.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.channel_refs import TELEGRAM_HOSTS, permalink
from bot.ingest.channel_posts import Post
from bot.ingest.document import SourceError, decode, meta_charset, parse_datetime, plain_text
from bot.ingest.offload import time_budget
from bot.untrusted import web_link

PAGE_BUDGET = 20.0  # seconds to parse one page; a 5 MB page of tiny messages takes about one
NO_PREVIEW = "у канала нет открытого предпросмотра"
LINE_BREAK = "\ue000"  # a private-use character marks <br> while whitespace is collapsed
BLOCKS = frozenset({"br", "div", "p", "blockquote", "li", "pre"})


def has_class(name: str) -> str:
    """An XPath test for one class among the element's classes."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


MESSAGES = f"//div[{has_class('tgme_widget_message')}][@data-post]"
# The message's own text: not the quoted one of the message it replies to.
OWN_TEXT = (
    f".//div[{has_class('tgme_widget_message_text')}]"
    f"[not(ancestor::a[{has_class('tgme_widget_message_reply')}])]"
)
DATE = f".//a[{has_class('tgme_widget_message_date')}]//time/@datetime"
FORWARDED = f".//*[{has_class('tgme_widget_message_forwarded_from_name')}]"
LINK_PREVIEW = f".//a[{has_class('tgme_widget_message_link_preview')}]/@href"
HISTORY = f"//*[{has_class('tgme_channel_history')}]"
MORE = f"//a[{has_class('tme_messages_more')}]/@data-before | //link[@rel='prev']/@href"


@functools.cache
def compiled(path: str):
    """An XPath expression compiled once per process (each call would compile it again)."""
    from lxml.etree import XPath

    return XPath(path)


class NoPreview(SourceError):
    """The channel shows no public preview (closed, or no such channel)."""

    def __init__(self) -> None:
        super().__init__(NO_PREVIEW)


@dataclass(frozen=True, slots=True)
class ChannelPage:
    """Posts of one page, oldest first, with their message ids (the same order)."""

    title: str | None
    posts: list[Post]
    ids: list[int]
    older: bool  # the page links to older messages (`?before=`)
    seen: range = range(0)  # the ids of every message read, with text or not (for paging)


def read_page(raw: bytes, name: str, newest: int) -> ChannelPage:
    """The newest `newest` posts with text of channel `name`'s preview page, within
    PAGE_BUDGET; NoPreview if the page holds no message history."""
    with time_budget(PAGE_BUDGET):
        return parse_page(raw, name, newest)


def parse_page(raw: bytes, name: str, newest: int) -> ChannelPage:
    import lxml.html
    from lxml.etree import ParserError

    try:  # decoded first: libxml2 takes undeclared bytes for Latin-1; t.me serves UTF-8
        tree = lxml.html.fromstring(decode(raw, meta_charset(raw)) or "<html></html>")
    except (ParserError, ValueError) as error:
        raise SourceError(f"not an HTML page: {error}") from None
    messages = compiled(MESSAGES)(tree)
    if not messages and not compiled(HISTORY)(tree):
        raise NoPreview
    title = _channel_title(tree)
    found: dict[int, Post] = {}
    seen: list[int] = []
    for message in reversed(messages):  # newest last on the page
        if len(found) >= newest:
            break
        message_id = _message_id(message.get("data-post", ""))
        seen += [] if message_id is None else [message_id]
        if message_id is None or message_id in found or "service_message" in message.classes:
            continue
        post = _post(message, name, message_id, title or name)
        if post is not None:
            found[message_id] = post
    ids = sorted(found)
    older = bool(compiled(MORE)(tree))
    span = range(min(seen), max(seen) + 1) if seen else range(0)
    return ChannelPage(title, [found[i] for i in ids], ids, older, span)


def _channel_title(tree) -> str | None:
    meta = tree.xpath("//meta[@property='og:title']/@content")
    header = tree.xpath(f"//*[{has_class('tgme_channel_info_header_title')}]")
    title = meta[0] if meta else (header[0].text_content() if header else "")
    return plain_text(title) or None


def _message_id(data_post: str) -> int | None:
    digits = data_post.rpartition("/")[2]
    return int(digits) if digits.isdigit() and len(digits) <= 18 else None


def _post(message, name: str, message_id: int, channel: str) -> Post | None:
    texts = compiled(OWN_TEXT)(message)
    text = _text(texts[0]) if texts else ""
    if not text:
        return None
    dates = compiled(DATE)(message) or compiled(".//time/@datetime")(message)
    forwarded = compiled(FORWARDED)(message)
    return Post(
        url=permalink(name, message_id),
        channel=channel,
        username=name,
        published=parse_datetime(dates[0]) if dates else None,
        text=text,
        forwarded_from=(plain_text(forwarded[0].text_content()) or None) if forwarded else None,
        link=_link(message, texts[0]),
    )


def _text(element) -> str:
    """The element's text, `<br>` and block ends as line breaks, other whitespace collapsed
    (pages come re-indented, with line breaks inside sentences)."""
    for inner in element.iter():
        if isinstance(inner.tag, str) and inner.tag in BLOCKS and inner is not element:
            inner.tail = LINE_BREAK + (inner.tail or "")
    joined = " ".join("".join(element.itertext()).split())
    return "\n".join(line.strip() for line in joined.split(LINE_BREAK)).strip()


def _link(message, text) -> str | None:
    """The message's link preview, else the first link in its text off Telegram."""
    for href in compiled(LINK_PREVIEW)(message) + compiled(".//a/@href")(text):
        link = web_link(href)
        if link and (urlsplit(link).hostname or "").lower() not in TELEGRAM_HOSTS:
            return link
    return None


def before_url(base: str, name: str, before: int | None = None) -> str:
    """The address of the page of messages older than `before` (the newest page if None)."""
    return f"{base.rstrip('/')}/s/{name}" + (f"?before={before}" if before else "")


def is_preview_url(url: str, name: str) -> bool:
    """Whether a fetch ended on the channel's preview; a closed one redirects to `/<name>`."""
    path = urlsplit(url).path.rstrip("/").lower()
    return path == f"/s/{name}"
