"""Articles as Telegram messages, built with aiogram.utils.formatting (entities, never markup
from outside text): the title in bold, linked to its source; the summary; the topics as
hashtags; the source name and publication time in the chat's timezone.

A list of articles becomes as many messages as needed, each under Telegram's 4096 characters,
split between articles and never inside one (a single article is cut to fit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram.utils.formatting import Bold, HashTag, Text, TextLink, as_line

from bot import texts
from bot.storage.articles import ArticleView, SourceLink
from bot.untrusted import web_link
from summarizer.coherence import readable_prefix

MESSAGE_LIMIT = 4096  # Telegram's limit, in UTF-16 code units after entity parsing
MAX_TITLE = 300
MAX_SUMMARY = 3000  # an article always fits one message, with room for its other lines
MAX_ADDITION = 400  # of MAX_SUMMARY: another outlet's sentence (summarizer.additions)
ARTICLE_GAP = "\n\n"
ELLIPSIS = "…"
FIXED_OFFSET = re.compile(r"^Etc/GMT([+-]\d{1,2})$")


@cache
def _topic_names() -> dict[str, str]:
    from summarizer.topics import TOPICS

    return {topic.slug: topic.name for topic in TOPICS}


def topic_name(slug: str) -> str:
    return _topic_names().get(slug, slug)


def hashtag(slug: str) -> str:
    """ "В мире" -> "#в_мире": hashtags in Russian, like the topic names the reader sees."""
    return "#" + re.sub(r"\W+", "_", topic_name(slug).lower()).strip("_")


def zone(name: str | None, default: str) -> tzinfo:
    """The timezone stored for a chat (None: the deployment's default)."""
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def zone_label(name: str) -> str:
    """How a stored timezone reads to a person: "Asia/Almaty", or "UTC+3" for Etc/GMT-3."""
    fixed = FIXED_OFFSET.match(name)
    if fixed is None:
        return name
    return texts.UTC_OFFSET.format(-int(fixed.group(1)))  # POSIX signs are inverted


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _summary(view: ArticleView, sentences: int | None) -> str:
    if sentences is not None and view.summary_sentences:
        return " ".join(readable_prefix(view.summary_sentences, sentences))
    return view.summary or view.lead


def _addition(view: ArticleView) -> str:
    """What another outlet adds to a story's summary, as a line of its own ("" if nothing)."""
    if view.addition is None:
        return ""
    outlet = view.addition.outlet or texts.ANOTHER_OUTLET
    line = texts.STORY_ADDITION.format(outlet=outlet, sentence=view.addition.sentence)
    return _cut(line, MAX_ADDITION)


def render_article(view: ArticleView, tz: tzinfo, *, summary_sentences: int | None = None) -> Text:
    """One article: bold (linked) title, summary, hashtags, source and time."""
    title_text = _cut(view.title, MAX_TITLE)
    link = web_link(view.url)  # an article stored before links were checked may have another
    title = Bold(TextLink(title_text, url=link) if link else title_text)
    lines: list[Text | str] = [as_line(title)]
    addition = _addition(view)
    summary = _cut(_summary(view, summary_sentences), MAX_SUMMARY - len(addition))
    if summary:
        lines.append(as_line(summary))
    if addition:
        lines.append(as_line(addition))
    tags = [HashTag(hashtag(slug)) for slug in view.topics]
    if tags:
        lines.append(as_line(*tags, sep=" "))
    moment = (view.published_at or view.ingested_at).astimezone(tz)
    when = moment.strftime(texts.TIME_FORMAT)
    if len(view.sources) > 1:
        lines.append(as_line(render_sources(view.sources)))
        lines.append(when)
    else:
        lines.append(" · ".join(part for part in (view.source_name, when) if part))
    return Text(*lines)


NAMED_SOURCES = 5  # outlets named under a story; the rest are counted


def sources_count(count: int) -> str:
    """ "1 источник", "3 источника", "5 источников": Russian plural forms."""
    if count % 10 == 1 and count % 100 != 11:
        form = texts.SOURCES_ONE
    elif 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        form = texts.SOURCES_FEW
    else:
        form = texts.SOURCES_MANY
    return form.format(count)


def render_sources(sources: Sequence[SourceLink]) -> Text:
    """ "3 источника: РИА Новости, ТАСС, Интерфакс", each outlet linked to its report; after
    NAMED_SOURCES names, "и ещё N"."""
    named: list[Text | str] = []
    for index, source in enumerate(sources[:NAMED_SOURCES]):
        if index:
            named.append(", ")
        link = web_link(source.url)
        named.append(TextLink(source.outlet, url=link) if link else source.outlet)
    rest = len(sources) - NAMED_SOURCES
    if rest > 0:
        named.append(" " + texts.SOURCES_MORE.format(rest))
    return Text(sources_count(len(sources)), ": ", *named)


def split_messages(
    parts: Iterable[Text], *, header: Text | None = None, limit: int = MESSAGE_LIMIT
) -> list[Text]:
    """Join `parts` (articles) into messages under `limit`, breaking only between parts."""
    messages: list[Text] = []
    current: list[Text | str] = [] if header is None else [header]
    size = 0 if header is None else len(header)
    for part in parts:
        joined = size + len(ARTICLE_GAP) + len(part) if current else len(part)
        if current and joined > limit:
            messages.append(Text(*current))
            current, joined = [], len(part)
        if current:
            current.append(ARTICLE_GAP)
        current.append(part)
        size = joined
    if current:
        messages.append(Text(*current))
    return messages


def render_articles(
    views: Sequence[ArticleView],
    tz: tzinfo,
    *,
    header: Text | None = None,
    summary_sentences: int | None = None,
) -> list[Text]:
    """Articles as a list of messages, each under Telegram's limit."""
    parts = [render_article(view, tz, summary_sentences=summary_sentences) for view in views]
    return split_messages(parts, header=header)
