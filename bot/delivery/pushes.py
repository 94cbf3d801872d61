"""Instant pushes: every new article goes to the active chats with instant mode on whose topics,
keywords or followed outlets (any outlet of its story) match it, unless the chat hides it (a
muted word, every outlet of its story muted, or advertising).

New articles are found through the database, whoever stored them (the bot, the feed poller,
`svodka ingest` in another process): storing an article puts it on the `push_queue` in the
same transaction, and a scan takes articles off the queue in the transaction that enqueues
their pushes. So every article is scanned once it commits, whatever the order of ids and
commits among concurrent writers; a crash repeats a scan at worst (the outbox's unique
(chat, item) makes that harmless), and concurrent scanners skip each other's articles.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Settings
from bot.delivery.outbox import push_item
from bot.storage import articles
from bot.storage import deliveries as queries
from bot.storage.database import Database
from bot.storage.mutes import NOTHING_HIDDEN_BUT_ADS

SCAN_BATCH = 200  # articles per transaction


def keyword_matches(keywords: list[str], lemmas: frozenset[str]) -> list[str]:
    """The keyword subscriptions (lemmas joined by " ") all of whose lemmas the article has."""
    return [keyword for keyword in keywords if lemmas.issuperset(keyword.split())]


async def scan_new_articles(db: Database, settings: Settings, now: datetime) -> int:
    """Enqueue pushes for the articles stored since the last scan; how many rows were added."""
    oldest = now - timedelta(hours=settings.push_max_age_hours)
    enqueued = 0
    while True:
        async with db.transaction() as conn:
            new = await articles.take_unscanned(conn, SCAN_BATCH)
            if not new:
                return enqueued
            keywords = await queries.instant_keywords(conn)
            hiding = await queries.instant_hiding(conn)
            need_lemmas = bool(keywords) or any(hidden.words for hidden in hiding.values())
            rows = []
            for view in new:
                if (view.published_at or view.ingested_at) < oldest:
                    continue  # an old article imported now is archive, not news
                lemmas = await articles.lemma_set(conn, view.id) if need_lemmas else frozenset()
                outlets = await queries.story_outlets(conn, view.story_id, view.id)
                chats = [
                    chat
                    for chat in await queries.instant_subscribers(
                        conn, view.topics, keyword_matches(keywords, lemmas), outlets
                    )
                    if not hiding.get(chat, NOTHING_HIDDEN_BUT_ADS).hides(
                        view.advert, outlets, lemmas
                    )
                ]
                item = push_item(view)
                rows += [{"chat_id": chat, "item": item, "article_id": view.id} for chat in chats]
            await queries.enqueue(conn, rows, now)
        enqueued += len(rows)
        if len(new) < SCAN_BATCH:
            return enqueued
