"""OPML 2.0, the feed list every feed reader imports and exports.

Reading treats the file as hostile: at most MAX_OPML_BYTES, parsed by defusedxml with DTDs
refused (so no entity can expand, nor reach a file or the network), at most MAX_OUTLINES
outlines, walked without recursion. A file that is not such a document is refused whole; an
outline that is not a usable feed is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from bot.channel_refs import NotAChannel, is_channel_ref, source_url
from bot.untrusted import web_link

MAX_OPML_BYTES = 1 << 20  # 1 MiB: thousands of feeds
MAX_OUTLINES = 5_000
MAX_TITLE_CHARS = 300


class OpmlError(ValueError):
    """The file is not an OPML document that can be read; the message says why, in one line
    (`in_russian` for the bot's administrators)."""

    def __init__(self, message: str, in_russian: str) -> None:
        super().__init__(message)
        self.in_russian = in_russian


@dataclass(frozen=True, slots=True)
class Skipped:
    """An outline that is not a usable feed: its label and what is wrong with its xmlUrl."""

    label: str
    url: str | None  # None: it has no xmlUrl

    def __str__(self) -> str:
        if self.url is None:
            return f"{self.label}: no xmlUrl"
        return f"{self.label}: {self.url!r} is not an http(s) link"

    def in_russian(self) -> str:
        if self.url is None:
            return f"{self.label}: нет адреса ленты (xmlUrl)"
        return f"{self.label}: «{self.url}» — не ссылка http(s)"


@dataclass(frozen=True, slots=True)
class Refused:
    """A feed whose address is private or local: refused, as `/feed add` refuses it."""

    label: str
    url: str
    reason: str  # check_destination's message

    def __str__(self) -> str:
        return f"{self.label}: {self.url!r} {self.reason}"

    def in_russian(self) -> str:
        return f"{self.label}: «{self.url}» — адрес внутренней сети, его не открываю"


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    title: str | None = None
    site_url: str | None = None


@dataclass(slots=True)
class OpmlList:
    feeds: list[OpmlFeed] = field(default_factory=list)
    problems: list[Skipped | Refused] = field(default_factory=list)  # outlines not imported

    def refuse(self, reasons: dict[str, str]) -> None:
        """Move the feeds whose URL `reasons` names to the problems."""
        for feed in self.feeds:
            if feed.url in reasons:
                self.problems.append(Refused(feed.title or "—", feed.url, reasons[feed.url]))
        self.feeds = [feed for feed in self.feeds if feed.url not in reasons]


def read_opml(data: bytes) -> OpmlList:
    """The feeds an OPML file lists (each URL once), and the outlines that are not feeds.
    OpmlError when the file is too big, not XML, declares a DTD or entities, or is not OPML."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(
            f"larger than {MAX_OPML_BYTES >> 20} MB", f"файл больше {MAX_OPML_BYTES >> 20} МБ"
        )
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise OpmlError(
            "it declares a DTD or entities, which are refused",
            "в файле объявлены DTD или сущности, такие файлы не принимаю",
        ) from None
    except ParseError as error:
        raise OpmlError(f"not XML: {error}", "это не XML") from None
    body = root.find("body") if root.tag == "opml" else None
    if body is None:
        raise OpmlError("not OPML: no <opml> with a <body>", "это не OPML: нет <opml> и <body>")
    found = OpmlList()
    seen: set[str] = set()
    for number, outline in enumerate(_outlines(body), 1):
        if number > MAX_OUTLINES:
            raise OpmlError(
                f"more than {MAX_OUTLINES} outlines", f"в файле больше {MAX_OUTLINES} записей"
            )
        _take(outline, found, seen)
    return found


def _outlines(body: Element) -> Iterable[Element]:
    """Every <outline> under `body`, folders included, in document order, without recursion."""
    stack = [iter(body)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif child.tag == "outline":
            yield child
            stack.append(iter(child))


def _take(outline: Element, found: OpmlList, seen: set[str]) -> None:
    raw = (outline.get("xmlUrl") or "").strip()
    words = " ".join((outline.get("title") or outline.get("text") or "").split())
    title = words[:MAX_TITLE_CHARS] or None
    if not raw:
        if not len(outline):  # a folder has outlines inside; an empty entry is a problem
            found.problems.append(Skipped(title or "—", None))
        return
    url = _channel_or_feed(web_link(raw))
    if url is None:
        found.problems.append(Skipped(title or "—", raw[:200]))
        return
    if url in seen:
        return
    seen.add(url)
    found.feeds.append(OpmlFeed(url, title, web_link((outline.get("htmlUrl") or "").strip())))


def _channel_or_feed(url: str | None) -> str | None:
    """A t.me link as the channel's stored preview URL (None if it names no channel)."""
    if url is None or not is_channel_ref(url):
        return url
    try:
        return source_url(url)
    except NotAChannel:
        return None


def write_opml(feeds: Iterable[OpmlFeed], *, title: str, now: datetime) -> bytes:
    """An OPML 2.0 document of `feeds`, as feed readers import it."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    SubElement(head, "dateCreated").text = format_datetime(now)
    body = SubElement(root, "body")
    for feed in feeds:
        name = feed.title or feed.url
        attributes = {"type": "rss", "text": name, "title": name, "xmlUrl": feed.url}
        if feed.site_url:
            attributes["htmlUrl"] = feed.site_url
        SubElement(body, "outline", attributes)
    return tostring(root, encoding="utf-8", xml_declaration=True)
