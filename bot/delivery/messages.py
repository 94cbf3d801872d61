"""What an outbox row says: an article push is one message, a digest is its articles grouped
by topic under a dated header, split into messages only between articles."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, tzinfo
from functools import cache, lru_cache

from aiogram.utils.formatting import Bold, Text, as_line

from bot import render, texts
from bot.config import Settings
from bot.delivery.sender import Outgoing
from bot.storage import articles, chats, stories
from bot.storage.articles import ArticleView
from bot.storage.database import Database
from bot.storage.deliveries import Delivery
from bot.untrusted import web_link

DIGEST_PREFIX = "digest:"
PUSH_CACHE = 64  # rendered pushes kept (article and timezone)


DEFAULT_SENTENCES = 3  # summary sentences of a push unless the chat chose a length


def outgoing(content: Text, *, preview: bool = True, preview_url: str | None = None) -> Outgoing:
    text, entities = content.render()
    return Outgoing(text, entities or None, preview, preview_url)


def first_link(views: Sequence[ArticleView]) -> str | None:
    """The link a preview shows: the first story's own, else its first outlet's."""
    if not views:
        return None
    links = (web_link(link) for link in (views[0].url, *(s.url for s in views[0].sources)))
    return next((link for link in links if link), None)


@lru_cache(maxsize=4096)
def digest_payload(article_ids: tuple[int, ...]) -> str:
    """What a digest row stores: its article ids as JSON (one string per distinct digest)."""
    return json.dumps(article_ids)


def digest_messages(
    views: Sequence[ArticleView],
    tz: tzinfo,
    period: date,
    *,
    topics: Sequence[str] = (),
    summary_sentences: int = 2,
) -> list[Text]:
    """The digest for `period`: stories under their topic's name (the first of the chat's
    `topics` the story has, else its main topic), topics in catalogue order, the stories told
    by the most outlets first within each."""
    groups: dict[str, list[ArticleView]] = {}
    for view in views:
        groups.setdefault(_group_topic(view, topics), []).append(view)
    parts: list[Text] = []
    for slug in sorted(groups, key=_catalogue_order):
        for index, view in enumerate(stories.by_coverage(groups[slug])):
            article = render.render_article(view, tz, summary_sentences=summary_sentences)
            # The topic heading travels with its first article, so no message ends on one.
            heading = as_line(Bold(render.topic_name(slug)))
            parts.append(Text(heading, article) if index == 0 else article)
    header = Text(Bold(f"{texts.DIGEST_HEADER} · {period.strftime('%d.%m.%Y')}"))
    return render.split_messages(parts, header=header)


def _group_topic(view: ArticleView, chosen: Sequence[str]) -> str:
    return next((slug for slug in view.topics if slug in chosen), None) or (
        view.topics[0] if view.topics else ""
    )


def _catalogue_order(slug: str) -> int:
    order = _catalogue()
    return order.get(slug, len(order))


@cache
def _catalogue() -> dict[str, int]:
    from summarizer.topics import TOPICS

    return {topic.slug: index for index, topic in enumerate(TOPICS)}


class Composer:
    """Builds a row's messages from the archive at send time, in the chat's timezone."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        # A broadcast sends one article to many chats: render it once per timezone and options
        # (item, timezone, summary sentences, link preview).
        self._pushes: dict[tuple[str, str | None, int, bool], list[Outgoing]] = {}

    async def __call__(self, row: Delivery) -> list[Outgoing]:
        tz = render.zone(row.timezone, self.settings.timezone)
        if row.item.startswith(DIGEST_PREFIX):
            return await self._digest(row, tz)
        sentences = row.summary_sentences or DEFAULT_SENTENCES
        preview = True if row.link_preview is None else row.link_preview
        key = (row.item, row.timezone, sentences, preview)
        if key not in self._pushes:
            if len(self._pushes) >= PUSH_CACHE:
                del self._pushes[next(iter(self._pushes))]  # the oldest
            self._pushes[key] = await self._push(row.article_id, tz, sentences, preview)
        return self._pushes[key]

    async def _push(
        self, article_id: int | None, tz: tzinfo, sentences: int, preview: bool
    ) -> list[Outgoing]:
        """The story of the article, as it stands when the push is sent."""
        async with self.db.read() as conn:
            view = await articles.get(conn, article_id) if article_id else None
            told = await stories.one_per_story(conn, [view] if view else [])
            views = await articles.lengthened(conn, told.views, sentences)
        return [
            outgoing(
                render.render_article(view, tz, summary_sentences=sentences),
                preview=preview,
                preview_url=first_link([view]),
            )
            for view in views
        ]

    async def _digest(self, row: Delivery, tz: tzinfo) -> list[Outgoing]:
        period = date.fromisoformat(row.item.removeprefix(DIGEST_PREFIX))
        async with self.db.read() as conn:
            found = await articles.get_many(conn, json.loads(row.payload or "[]"))
            views = (await stories.one_per_story(conn, found)).views
            subscriptions = await chats.list_subscriptions(conn, row.chat_id)
        messages = digest_messages(
            views,
            tz,
            period,
            topics=[sub.value for sub in subscriptions if sub.kind == chats.TOPIC],
            summary_sentences=self.settings.digest_summary_sentences,
        )
        preview = bool(row.link_preview)  # off unless the chat turned previews on
        url = first_link(views) if preview else None
        if not views:
            return []
        return [outgoing(message, preview=preview, preview_url=url) for message in messages]
