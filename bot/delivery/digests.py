"""Daily digests: at each chat's `digest_time` in its own timezone, one outbox row with the
articles matched since its last digest.

The row's item is `digest:<local date>`, so a day's digest is enqueued once however often the
check runs or the bot restarts, and the article ids are fixed in the row when it is enqueued,
in the same transaction that moves the chat's `last_digest_at`: nothing is counted twice or
lost. A chat whose time passed while the bot was down gets that day's digest late; a day the
bot missed entirely is folded into the next digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from bot import render
from bot.delivery.messages import digest_payload
from bot.delivery.outbox import digest_item
from bot.storage import articles
from bot.storage import deliveries as queries
from bot.storage.chats import KEYWORD, TOPIC
from bot.storage.database import Database
from bot.storage.deliveries import DigestChat, RecentArticle

CHUNK = 5000  # chats per transaction: keeps the write lock short for the bot's own writes
FIRST_WINDOW = timedelta(days=1)  # what a chat's very first digest looks back over


def due_period(chat: DigestChat, now: datetime, default_tz: str) -> tuple[date, datetime] | None:
    """Today's (chat-local) date and the UTC moment of its digest if that moment has come and
    the chat has not had it yet; None otherwise."""
    tz = render.zone(chat.timezone, default_tz)
    local_now = now.astimezone(tz)
    hours, minutes = (int(part) for part in chat.digest_time.split(":"))
    slot = datetime.combine(local_now.date(), time(hours, minutes), tzinfo=tz)
    if local_now < slot or (chat.last_digest_at is not None and chat.last_digest_at >= slot):
        return None
    return local_now.date(), slot


class Matcher:
    """Which recent articles a chat's subscriptions match, newest `limit` of them, oldest first.

    Chats with the same subscriptions and window share one answer: a deployment has far fewer
    distinct subscription sets than subscribers.
    """

    def __init__(
        self, recent: Sequence[RecentArticle], lemmas: dict[int, frozenset[str]], limit: int
    ):
        self.recent = recent
        self.lemmas = lemmas
        self.limit = limit
        self._cache: dict[tuple[frozenset[tuple[str, str]], datetime], list[int]] = {}

    def __call__(self, subscriptions: frozenset[tuple[str, str]], since: datetime) -> list[int]:
        key = (subscriptions, since)
        if key not in self._cache:
            self._cache[key] = self._match(subscriptions, since)
        return self._cache[key]

    def _match(self, subscriptions: frozenset[tuple[str, str]], since: datetime) -> list[int]:
        topics = {value for kind, value in subscriptions if kind == TOPIC}
        keywords = [value.split() for kind, value in subscriptions if kind == KEYWORD]
        matched = [
            article.id
            for article in self.recent
            if article.ingested_at > since
            and (
                not topics.isdisjoint(article.topics)
                or any(self.lemmas[article.id].issuperset(words) for words in keywords)
            )
        ]
        return matched[-self.limit :]


async def enqueue_due_digests(db: Database, settings, now: datetime) -> int:
    """Enqueue the digests whose time has come; how many digests were enqueued."""
    async with db.read() as conn:
        candidates = await queries.digest_chats(conn)
    due = [
        (chat, found)
        for chat in candidates
        if (found := due_period(chat, now, settings.timezone)) is not None
    ]
    enqueued = 0
    for start in range(0, len(due), CHUNK):
        enqueued += await _enqueue_chunk(db, settings, now, due[start : start + CHUNK])
    return enqueued


async def _enqueue_chunk(
    db: Database, settings, now: datetime, chunk: Sequence[tuple[DigestChat, tuple[date, datetime]]]
) -> int:
    windows = {chat.id: chat.last_digest_at or slot - FIRST_WINDOW for chat, (_, slot) in chunk}
    async with db.transaction() as conn:
        subscriptions = await queries.subscriptions_of(conn, list(windows))
        recent = await queries.articles_between(conn, min(windows.values()), now)
        wants_lemmas = any(kind == KEYWORD for subs in subscriptions.values() for kind, _ in subs)
        lemmas = (
            {a.id: await articles.lemma_set(conn, a.id) for a in recent} if wants_lemmas else {}
        )
        match = Matcher(recent, lemmas, settings.digest_max_articles)
        rows = [
            {"chat_id": chat.id, "item": digest_item(period), "payload": digest_payload(ids)}
            for chat, (period, _) in chunk
            if (ids := match(frozenset(subscriptions.get(chat.id, ())), windows[chat.id]))
        ]
        await queries.enqueue(conn, rows, now)
        await queries.stamp_digests(conn, list(windows), now)
    return len(rows)
