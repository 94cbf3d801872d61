"""What every source hands to the pipeline, and the small text helpers the sources share."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from charset_normalizer import from_bytes

from bot.untrusted import without_controls


@dataclass(frozen=True, slots=True)
class Document:
    """One article as a source saw it. `text` is the page text (title lines included or not);
    `title` overrides the title found in the text; `published` is an aware datetime."""

    text: str
    title: str | None = None
    url: str | None = None
    published: datetime | None = None
    source_name: str | None = None
    categories: tuple[str, ...] = ()
    source_id: int | None = None


class SourceError(Exception):
    """A source could not be read; the message is one line for the user."""


# Outside text is hostile: every pattern here matches in linear time. A tag is `<` up to the
# next `<` or `>`, so a run of unclosed `<` costs one step each instead of a scan to the end
# of the text per `<` (`<[^>]*>` took 6.9 s on 40,000 of them).
_TAG = re.compile(r"<[^<>]*>")
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6]|/blockquote|/tr)\b[^<>]*>", re.IGNORECASE)
_MARKUP = re.compile(r"<(?:/\s*)?[a-zA-Z][^<>]*>")
_RAW_TEXT = re.compile(r"<(script|style)\b", re.IGNORECASE)
_BLANKS = re.compile(r"[ \t\u00a0]+")
MAX_LINE_CHARS = 2_000
"""Titles and first lines are cut to this before cleaning: no headline is longer, and a
"title" of 160 KB costs nothing then."""


def drop_raw_text(fragment: str) -> str:
    """`fragment` without <script> and <style> elements. One pass: the closing tag is looked up
    once per element, and an element never closed runs to the end (as in a browser), where
    `<(script|style)\b.*?</\1>` looked for it again from every opening tag (31.6 s on 20,000)."""
    lowered = fragment.lower()
    kept: list[str] = []
    position = 0
    while found := _RAW_TEXT.search(fragment, position):
        kept.append(fragment[position : found.start()])
        close = lowered.find(f"</{found.group(1).lower()}", found.end())
        end = -1 if close < 0 else lowered.find(">", close)
        if end < 0:
            return " ".join(kept)
        kept.append(" ")
        position = end + 1
    kept.append(fragment[position:])
    return "".join(kept)


def plain_text(value: str) -> str:
    """One line of plain text from a title that may carry tags and (doubly) escaped entities:
    "&lt;b&gt;Рост &amp;quot;ВВП&amp;quot;&lt;/b&gt;" -> 'Рост "ВВП"'."""
    value = value[:MAX_LINE_CHARS]
    for _ in range(3):  # entities escaped once or twice, tags that only appear after unescaping
        value = html.unescape(_TAG.sub(" ", drop_raw_text(value)))
    return " ".join(_TAG.sub(" ", without_controls(value)).split())


def looks_like_html(text: str) -> bool:
    return _MARKUP.search(text[:5000]) is not None


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment (a feed entry, a JSONL field), one paragraph per line."""
    fragment = _BLOCK_TAG.sub("\n", drop_raw_text(fragment))
    text = without_controls(html.unescape(_TAG.sub(" ", fragment)))
    return "\n".join(_BLANKS.sub(" ", line).strip() for line in text.splitlines()).strip()


def is_binary(raw: bytes) -> bool:
    """NUL bytes never occur in text in the encodings Russian news uses."""
    return b"\x00" in raw[:8192]


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""", re.IGNORECASE)


def meta_charset(raw: bytes) -> str | None:
    """The charset an HTML or XML document declares in its first bytes."""
    head = raw[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return match.group(1).decode("ascii") if match else None


CYRILLIC_ENCODINGS = ["utf_8", "cp1251", "koi8_r", "iso8859_5", "mac_cyrillic", "cp866"]


def decode(raw: bytes, declared: str | None = None) -> str:
    """Text of `raw` bytes: the declared charset if it decodes them, else UTF-8, else the
    Cyrillic-aware guess of charset-normalizer (windows-1251 and koi8-r are common)."""
    for encoding in (declared, "utf-8"):
        if encoding:
            try:
                return raw.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    best = from_bytes(raw[:200_000], cp_isolation=CYRILLIC_ENCODINGS).best()
    if best is None:
        raise SourceError("not text in any known encoding")
    return raw.decode(best.encoding, errors="replace")


def parse_datetime(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string or a datetime; None if unreadable.
    A time without a zone is taken as UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
