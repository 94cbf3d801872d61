"""Cleaning of scraped article text: drop page furniture, find the title and the lead.

Each rule is a small named function over one line. `clean` applies them in order:
normalize characters, cut related-link blocks, drop noise lines, then split the remaining
lines into a header (title, lead) and the body.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from summarizer import text as nlp

HEADLINE_MAX_CHARS = 250
HEADER_MAX_LINES = 3


@dataclass(frozen=True, slots=True)
class Article:
    """A cleaned article. `body` is the text to summarize; `lead` is the standfirst if the
    page has one, otherwise the first sentence of the body."""

    title: str
    lead: str
    body: str


_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def normalize(text: str) -> str:
    """Unify line breaks and spaces, drop soft hyphens and zero-width characters."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


_VIEW_COUNTER = re.compile(r"[•·👁]?\s*\d[\d\s]*(просмотр\w*)?", re.IGNORECASE)


def is_view_counter(line: str) -> bool:
    """ "• 3658", "3658 просмотров": a bare number, optionally after a bullet."""
    return _VIEW_COUNTER.fullmatch(line) is not None


_PHOTO_CREDIT = re.compile(
    r"(фото|фотография|иллюстрация|источник фото|кадр|видео)\b[\s:©]*\S.*|©.*", re.IGNORECASE
)


def is_photo_credit(line: str) -> bool:
    """ "Фото Жанары Каримовой", "Фото: ТАСС", "© РИА Новости": a short credit line."""
    return (
        len(line) <= 120
        and not line.endswith((".", "!", "?"))
        and (_PHOTO_CREDIT.fullmatch(line) is not None)
    )


_SHARE = re.compile(
    r"(поделиться|поделитесь|подпис(ывайтесь|аться|ывайся|итесь)|следите за|"
    r"нашли ошибку|share|tweet)\b.*",
    re.IGNORECASE,
)
_NETWORKS = re.compile(
    r"((вконтакте|вк|одноклассники|facebook|twitter|x|telegram|whatsapp|viber|"
    r"дзен|rutube|youtube|instagram)[\s,|•·]*)+",
    re.IGNORECASE,
)


def is_share_line(line: str) -> bool:
    """ "Поделиться", "Подписывайтесь на наш Telegram", a row of social network names."""
    short = len(line) <= 160
    return short and (_SHARE.fullmatch(line) is not None or _NETWORKS.fullmatch(line) is not None)


_RELATED = re.compile(
    r"(еще|ещё) по теме|читайте (также|еще|ещё)|смотрите также|свежее из этой рубрики|"
    r"материалы по теме|похожие (новости|материалы)|другие новости|новости партн[её]ров",
    re.IGNORECASE,
)


def related_heading(line: str) -> str | None:
    """A bare heading ("Еще по теме:") starts a block of link titles: "block". A heading with
    its link on the same line ("Читайте также: ...") is one line: "line". Otherwise None."""
    match = _RELATED.match(line)
    if match is None:
        return None
    rest = line[match.end() :].strip()
    if rest in ("", ":"):
        return "block"
    return "line" if rest.startswith((":", "—", "-")) else None


def is_headline(line: str) -> bool:
    """A short line not ending in ".", ":" or ";": a title, a standfirst or a link title."""
    return 0 < len(line) <= HEADLINE_MAX_CHARS and not line.rstrip("»\"')").endswith(
        (".", ":", ";")
    )


def title_below_counter(lines: list[str]) -> list[str]:
    """Some sites print the standfirst, then a view counter, then the title: put the title
    first. Lines are the page's non-empty lines, furniture included."""
    if (
        len(lines) >= 3
        and is_view_counter(lines[1])
        and is_headline(lines[0])
        and is_headline(lines[2])
    ):
        return [lines[2], lines[0], *lines[3:]]
    return lines


def drop_furniture(lines: list[str]) -> list[str]:
    """Remove counters, credits, share lines and related-link blocks."""
    kept: list[str] = []
    in_related_block = False
    for line in lines:
        kind = related_heading(line)
        if kind is not None:
            in_related_block = kind == "block"
            continue
        if in_related_block and (not line or is_headline(line)):
            continue
        in_related_block = False
        if is_view_counter(line) or is_photo_credit(line) or is_share_line(line):
            continue
        kept.append(line)
    return kept


def split_header(lines: list[str]) -> tuple[list[str], list[str]]:
    """Leading headline-like lines (at most HEADER_MAX_LINES) form the header; the rest is the
    body. A text that is all headlines is all body: there is nothing else to summarize."""
    size = 0
    while size < min(HEADER_MAX_LINES, len(lines)) and is_headline(lines[size]):
        size += 1
    if size == len(lines):
        return [], lines
    return lines[:size], lines[size:]


def pick_title(header: list[str]) -> tuple[str, str]:
    """Title and standfirst from the header lines: the first is the title, the second the
    standfirst."""
    title, lead = [*header, "", ""][:2]
    return title, lead


def clean(text: str) -> Article:
    """Clean scraped article text into title, lead and body."""
    lines = [line for line in normalize(text).split("\n") if line]
    lines = drop_furniture(title_below_counter(lines))
    header, body_lines = split_header(lines)
    title, lead = pick_title(header)
    body = "\n".join(body_lines)
    if not lead:
        lead = next(nlp.iter_sentences(body), "")
    return Article(title=title, lead=lead, body=body)


# Channel posts (Telegram) end in a signature: "Подписаться на …", the channel's @name or link,
# hashtags and emoji. These rules read whole lines and tokens, never a pattern that rescans.
SIGNATURE_MAX_CHARS = 160
_SIGNATURE_STARTS = (
    "подписаться",
    "подпишись",
    "подпишитесь",
    "подписывайтесь",
    "прислать новость",
    "предложить новость",
    "прислать фото",
)
_DECORATION_CATEGORIES = frozenset({"So", "Sk", "Mn", "Me", "Cf"})


def is_decoration(token: str) -> bool:
    """An emoji or a run of them ("👉", "❗️", "🇷🇺"): symbols, marks and joiners only."""
    return bool(token) and all(
        unicodedata.category(char) in _DECORATION_CATEGORIES for char in token
    )


def is_hashtag(token: str) -> bool:
    """ "#новости", "#Москва,": a # and word characters, a comma or period after them."""
    word = token.rstrip(",.;")[1:]
    return token.startswith("#") and bool(word) and word.replace("_", "").isalnum()


def without_trailing_tags(line: str) -> str:
    """The line without the hashtags and emoji that end it: "Текст. #новости 🔥" -> "Текст."."""
    tokens = line.split()
    while tokens and (is_hashtag(tokens[-1]) or is_decoration(tokens[-1])):
        tokens.pop()
    return " ".join(tokens)


def _bare(line: str) -> str:
    """The line without the emoji, bullets and spaces around it, lower-cased."""
    tokens = [token for token in line.split() if not is_decoration(token)]
    return " ".join(tokens).strip("|•·—–-:>»").strip().lower()


def is_signature_line(line: str) -> bool:
    """ "Подписаться на Mash", "👉 Подпишись | Прислать новость": a channel's signature."""
    return len(line) <= SIGNATURE_MAX_CHARS and _bare(line).startswith(_SIGNATURE_STARTS)


def is_channel_handle(line: str) -> bool:
    """A bare "@name" (a channel's or a bot's), emoji around it allowed."""
    bare = _bare(line)
    name = bare[1:]
    return bare.startswith("@") and 4 <= len(name) <= 32 and name.replace("_", "").isalnum()


def is_self_link(line: str, username: str | None) -> bool:
    """A link to the channel itself: "t.me/name", "https://t.me/name/", "telegram.me/s/name"."""
    if not username:
        return False
    bare = _bare(line).partition("?")[0].rstrip("/")
    for scheme in ("https://", "http://"):
        bare = bare.removeprefix(scheme)
    bare = bare.removeprefix("www.")
    host, _, path = bare.partition("/")
    return host in ("t.me", "telegram.me") and path.removeprefix("s/") == username.lower()


def clean_post(text: str, username: str | None = None) -> str:
    """A channel post without its signature: trailing signature lines, the channel's @name or
    link, and trailing hashtags and emoji are dropped; the rest is kept as written."""
    lines = normalize(text).split("\n")
    while lines:
        last = without_trailing_tags(lines[-1])
        if last and not (
            is_signature_line(last) or is_channel_handle(last) or is_self_link(last, username)
        ):
            lines[-1] = last
            break
        lines.pop()
    return "\n".join(lines).strip()
