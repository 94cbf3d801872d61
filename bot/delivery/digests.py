"""Daily digests: at each chat's `digest_time` in its own timezone, one outbox row with the
articles matched since its last digest.

The row's item is `digest:<local date>`, so a day's digest is enqueued once however often the
check runs or the bot restarts, and the article ids are fixed in the row when it is enqueued,
in the same transaction that moves the chat's `last_digest_at`: nothing is counted twice or
lost. A chat whose time passed while the bot was down gets that day's digest late; a day the
bot missed entirely is folded into the next digest.

With several workers (or processes storing articles) two guarantees make that hold:
a pass reads articles only up to a moment by which every article is stored
(articles.settled_until), and it moves a chat's `last_digest_at` only if nobody moved it since
the pass read it (the chat's row is locked and compared), so two overlapping passes cannot
skip the articles between their two windows: the later one to commit leaves that chat alone.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from bot import render
from bot.config import Settings
from bot.delivery.messages import digest_payload
from bot.delivery.outbox import digest_item
from bot.storage import articles
from bot.storage import deliveries as queries
from bot.storage.chats import KEYWORD, SOURCE, TOPIC
from bot.storage.database import Database
from bot.storage.deliveries import DigestChat, RecentArticle
from bot.storage.mutes import NOTHING_HIDDEN_BUT_ADS, Hidden

log = logging.getLogger(__name__)

CHUNK = 5000  # chats per transaction: keeps the write lock short for the bot's own writes
FIRST_WINDOW = timedelta(days=1)  # what a chat's very first digest looks back over


def due_period(chat: DigestChat, now: datetime, default_tz: str) -> tuple[date, datetime] | None:
    """Today's (chat-local) date and the UTC moment of its digest if that moment has come and
    the chat has not had it yet; None otherwise."""
    try:
        period, slot = _today_slot(chat.timezone or default_tz, chat.digest_time, now)
    except ValueError:
        log.warning(
            "chat %s: digest time %r is not HH:MM; skipped",
            chat.id,
            chat.digest_time,
            extra={"chat": chat.id},
        )
        return None
    if now < slot or (chat.last_digest_at is not None and chat.last_digest_at >= slot):
        return None
    return period, slot


@lru_cache(maxsize=4096)
def _today_slot(timezone: str, digest_time: str, now: datetime) -> tuple[date, datetime]:
    """The local date at `now` in `timezone`, and `digest_time` on that date (computed once
    per zone and time for a whole audience)."""
    tz = render.zone(timezone, timezone)
    local_now = now.astimezone(tz)
    hours, minutes = (int(part) for part in digest_time.split(":"))
    slot = datetime.combine(local_now.date(), time(hours, minutes), tzinfo=tz)
    # In UTC, like every time it is compared with, so comparisons skip zone arithmetic.
    return local_now.date(), slot.astimezone(UTC)


class Matcher:
    """Which recent articles a chat's subscriptions match and its mutes do not hide: the
    newest `limit` of them, oldest first.

    Articles are indexed by topic and (lazily) by keyword, and chats with the same
    subscriptions and window share one answer: an audience has far fewer distinct
    subscription sets than subscribers.
    """

    def __init__(
        self, recent: Sequence[RecentArticle], lemmas: dict[int, frozenset[str]], limit: int
    ) -> None:
        self.recent = recent  # oldest first
        self.lemmas = lemmas
        self.limit = limit
        self.by_topic: dict[str, set[int]] = {}
        for position, article in enumerate(recent):
            for topic in article.topics:
                self.by_topic.setdefault(topic, set()).add(position)
        self.by_outlet: dict[str, set[int]] = {}
        for position, article in enumerate(recent):
            for outlet in article.outlets:
                self.by_outlet.setdefault(outlet, set()).add(position)
        self._by_keyword: dict[str, set[int]] = {}
        self._answers: dict[
            tuple[frozenset[tuple[str, str]], datetime, Hidden], tuple[int, ...]
        ] = {}

    def __call__(
        self,
        subscriptions: frozenset[tuple[str, str]],
        since: datetime,
        hidden: Hidden = NOTHING_HIDDEN_BUT_ADS,
    ) -> tuple[int, ...]:
        key = (subscriptions, since, hidden)
        if key not in self._answers:
            self._answers[key] = self._match(subscriptions, since, hidden)
        return self._answers[key]

    def _match(
        self, subscriptions: frozenset[tuple[str, str]], since: datetime, hidden: Hidden
    ) -> tuple[int, ...]:
        positions: set[int] = set()
        for kind, value in subscriptions:
            if kind == TOPIC:
                positions |= self.by_topic.get(value, set())
            elif kind == SOURCE:
                positions |= self.by_outlet.get(value, set())
            else:
                positions |= self._keyword(value)
        matched = [
            article.id
            for article in (self.recent[p] for p in sorted(positions))
            if article.ingested_at > since and not self._hides(hidden, article)
        ]
        return tuple(matched[-self.limit :])

    def _hides(self, hidden: Hidden, article: RecentArticle) -> bool:
        lemmas = self.lemmas.get(article.id, frozenset()) if hidden.words else frozenset()
        return hidden.hides(article.advert, article.outlets, lemmas)

    def _keyword(self, value: str) -> set[int]:
        if value not in self._by_keyword:
            words = value.split()
            self._by_keyword[value] = {
                position
                for position, article in enumerate(self.recent)
                if self.lemmas[article.id].issuperset(words)
            }
        return self._by_keyword[value]


async def enqueue_due_digests(db: Database, settings: Settings, now: datetime) -> int:
    """Enqueue the digests whose time has come; how many digests were enqueued."""
    with _collector_paused():
        plan = await plan_digests(db, settings, now)
        return await commit_digests(db, plan, now)


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """The digests of one pass: what each due chat gets, worked out from a snapshot."""

    until: datetime  # articles up to this moment were read; the chats' new last_digest_at
    seen: dict[int, datetime | None]  # due chat -> its last_digest_at when the pass read it
    rows: dict[int, dict[str, object]]  # due chat with something to read -> its outbox row


async def plan_digests(db: Database, settings: Settings, now: datetime) -> DigestPlan:
    until = await articles.settled_until(db, now)
    async with db.read() as conn:
        due = [
            (chat, found)
            for chat in await queries.digest_chats(conn)
            if (found := due_period(chat, until, settings.timezone)) is not None
        ]
        if not due:
            return DigestPlan(until, {}, {})
        windows = {chat.id: chat.last_digest_at or slot - FIRST_WINDOW for chat, (_, slot) in due}
        kinds = {kind for subs in {chat.subscriptions for chat, _ in due} for kind, _ in subs}
        hiding = {chat.hidden for chat, _ in due}
        recent = await queries.articles_between(
            conn,
            min(windows.values()),
            until,
            outlets=SOURCE in kinds or any(hidden.sources for hidden in hiding),
        )
        wants_lemmas = KEYWORD in kinds or any(hidden.words for hidden in hiding)
        lemmas = await queries.lemma_sets(conn, [a.id for a in recent] if wants_lemmas else [])
    match = Matcher(recent, lemmas, settings.digest_max_articles)
    rows = {
        chat.id: {"chat_id": chat.id, "item": digest_item(period), "payload": digest_payload(ids)}
        for chat, (period, _) in due
        if (ids := match(chat.subscriptions, windows[chat.id], chat.hidden))
    }
    return DigestPlan(until, {chat.id: chat.last_digest_at for chat, _ in due}, rows)


async def commit_digests(db: Database, plan: DigestPlan, now: datetime) -> int:
    """Enqueue the plan's rows and move its chats' last_digest_at, chat by chat only where no
    other pass did since the plan read it; how many digests were enqueued."""
    enqueued = 0
    chat_ids = list(plan.seen)
    for start in range(0, len(chat_ids), CHUNK):
        async with db.transaction() as conn:
            chunk = await queries.lock_unchanged_digests(
                conn, {chat: plan.seen[chat] for chat in chat_ids[start : start + CHUNK]}
            )
            rows = [plan.rows[chat] for chat in chunk if chat in plan.rows]
            await queries.enqueue(conn, rows, now)
            await queries.stamp_digests(conn, chunk, plan.until)
        enqueued += len(rows)
    return enqueued


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection during a pass over a whole audience: it builds hundreds of
    thousands of short-lived, acyclic objects, and each collection would scan them all again
    (this halves the pass for 100,000 chats); reference counting still frees them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
