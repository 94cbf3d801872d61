"""Outbox queries: one `deliveries` row per chat and item. The caller owns the transaction.

A row is `pending` until Telegram confirms every message of it (`sent`), or it gives up
(`failed`: the reason is in `last_error`), or the chat went away (`dropped`). A pending row is
due at `next_attempt_at`. Claiming it sets `claimed_by` to the claiming worker, and every
outcome clears it; a dead worker's claims are cleared when its `workers` row is deleted (see
bot/storage/workers.py), so two workers never hold the same row and none waits for a lease.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import dialect
from bot.storage.bulk import insert_rows
from bot.storage.chats import KEYWORD, SOURCE, TOPIC
from bot.storage.mutes import NOTHING_HIDDEN_BUT_ADS, Hidden, hidden_for_chats
from bot.storage.schema import (
    article_sources,
    article_topics,
    articles,
    chats,
    deliveries,
    mutes,
    subscriptions,
    utcnow,
)

PENDING, SENT, FAILED, DROPPED = "pending", "sent", "failed", "dropped"


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed outbox row with what sending it needs to know about its chat."""

    id: int
    chat_id: int
    chat_kind: str
    timezone: str | None
    item: str
    article_id: int | None
    payload: str | None
    attempts: int
    parts_sent: int
    link_preview: bool | None = None  # the chat's choice; None: on for pushes, off for digests
    summary_sentences: int | None = None  # the chat's choice for pushes; None: the default


@dataclass(frozen=True, slots=True)
class DeliveryError:
    """A row that failed, was dropped, or is being retried, for /stats."""

    chat_id: int
    item: str
    state: str
    attempts: int
    error: str


async def enqueue(conn: AsyncConnection, rows: Sequence[dict], now: datetime) -> None:
    """Add rows (chat_id, item, optional article_id and payload), due `now`; existing (chat,
    item) pairs are left as they are, so enqueueing twice is harmless."""
    await insert_rows(
        conn,
        deliveries,
        [
            {
                "chat_id": row["chat_id"],
                "item": row["item"],
                "article_id": row.get("article_id"),
                "payload": row.get("payload"),
            }
            for row in rows
        ],
        shared={
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "parts_sent": 0,
        },
        skip_conflicts_on=["chat_id", "item"],
    )


async def claim(conn: AsyncConnection, now: datetime, *, limit: int, worker: str) -> list[Delivery]:
    """Due, unclaimed pending rows of active chats, oldest first, claimed by `worker`."""
    query = (
        select(
            deliveries.c.id,
            deliveries.c.chat_id,
            chats.c.kind.label("chat_kind"),
            chats.c.timezone,
            deliveries.c.item,
            deliveries.c.article_id,
            deliveries.c.payload,
            deliveries.c.attempts,
            deliveries.c.parts_sent,
            chats.c.link_preview,
            chats.c.summary_sentences,
        )
        .join(chats, chats.c.id == deliveries.c.chat_id)
        .where(
            deliveries.c.state == PENDING,
            deliveries.c.next_attempt_at <= now,
            deliveries.c.claimed_by.is_(None),
            chats.c.active.is_(True),
        )
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(limit)
        .with_for_update(of=deliveries, skip_locked=True)
    )
    rows = [Delivery(**row._mapping) for row in await conn.execute(query)]
    if rows:
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_([row.id for row in rows]))
            .values(claimed_by=worker)
        )
    return rows


@dataclass(frozen=True, slots=True)
class Confirmed:
    """Telegram confirmed message number `parts` of a row (its last one when `done`)."""

    delivery_id: int
    message_id: int
    parts: int
    done: bool


async def mark_confirmed(
    conn: AsyncConnection, confirmed: Sequence[Confirmed], now: datetime
) -> None:
    """Record confirmations: rows whose last message went are sent, others progress."""
    for done in (True, False):
        rows = [
            {"row_id": item.delivery_id, "message_id": item.message_id, "parts_sent": item.parts}
            for item in confirmed
            if item.done is done
        ]
        if rows:
            values = (
                {"state": SENT, "sent_at": now, "finished_at": now, "claimed_by": None}
                if done
                else {}
            )
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == bindparam("row_id"))
                .values(
                    message_id=bindparam("message_id"), parts_sent=bindparam("parts_sent"), **values
                ),
                rows,
            )


async def retry_at(
    conn: AsyncConnection, delivery_id: int, at: datetime, *, error: str, count: bool
) -> None:
    """Try the row again at `at`; `count` adds the failure to its attempts."""
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            next_attempt_at=at,
            last_error=error,
            attempts=deliveries.c.attempts + (1 if count else 0),
            claimed_by=None,
        )
    )


async def mark_failed(conn: AsyncConnection, delivery_id: int, *, error: str) -> None:
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            state=FAILED,
            last_error=error,
            attempts=deliveries.c.attempts + 1,
            finished_at=utcnow(),
            claimed_by=None,
        )
    )


async def postpone_chat(conn: AsyncConnection, chat_id: int, until: datetime) -> None:
    """Every pending row of the chat is due at `until` (Telegram asked to wait till then);
    rows claimed by this worker included, which it gives up."""
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.chat_id == chat_id, deliveries.c.state == PENDING)
        .values(next_attempt_at=until, claimed_by=None)
    )


async def drop_pending(conn: AsyncConnection, chat_id: int, *, reason: str) -> int:
    """Give up every pending row of a chat that can no longer receive messages."""
    result = await conn.execute(
        update(deliveries)
        .where(deliveries.c.chat_id == chat_id, deliveries.c.state == PENDING)
        .values(state=DROPPED, last_error=reason, finished_at=utcnow())
    )
    return result.rowcount


async def counts(conn: AsyncConnection) -> dict[str, int]:
    """Rows per state, for /stats."""
    rows = await conn.execute(select(deliveries.c.state, func.count()).group_by(deliveries.c.state))
    return {state: count for state, count in rows}


async def last_errors(conn: AsyncConnection, *, limit: int = 5) -> list[DeliveryError]:
    """The most recent rows with an error (failed, dropped or waiting to retry), for /stats."""
    rows = await conn.execute(
        select(
            deliveries.c.chat_id,
            deliveries.c.item,
            deliveries.c.state,
            deliveries.c.attempts,
            deliveries.c.last_error.label("error"),
        )
        .where(deliveries.c.last_error.is_not(None), deliveries.c.state != SENT)
        .order_by(deliveries.c.next_attempt_at.desc(), deliveries.c.id.desc())
        .limit(limit)
    )
    return [DeliveryError(**row._mapping) for row in rows]


async def release(
    conn: AsyncConnection, ids: Collection[int], *, worker: str, due: datetime | None = None
) -> None:
    """Rows `worker` claimed and gave up without an outcome: free for any worker (at `due`, if
    given). Rows no longer claimed by it (it was taken for dead) are left as they are."""
    later = {} if due is None else {"next_attempt_at": due}
    await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.id.in_(list(ids)),
            deliveries.c.state == PENDING,
            deliveries.c.claimed_by == worker,
        )
        .values(claimed_by=None, **later)
    )


async def release_all(conn: AsyncConnection) -> int:
    """Free every claimed row (a sender starts: only a sender claims, and it has none in
    flight yet)."""
    result = await conn.execute(
        update(deliveries).where(deliveries.c.claimed_by.is_not(None)).values(claimed_by=None)
    )
    return result.rowcount


async def move_pending(conn: AsyncConnection, old_chat_id: int, new_chat_id: int) -> None:
    """Pending rows of a chat to another existing chat, except items it already has."""
    taken = select(deliveries.c.item).where(deliveries.c.chat_id == new_chat_id)
    await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.chat_id == old_chat_id,
            deliveries.c.state == PENDING,
            deliveries.c.item.not_in(taken.scalar_subquery()),
        )
        .values(chat_id=new_chat_id)
    )


# -- who gets what ----------------------------------------------------------------------------


async def instant_keywords(conn: AsyncConnection) -> list[str]:
    """Distinct keyword subscriptions (lemmas joined by " ") of active chats with instant on."""
    rows = await conn.scalars(
        select(subscriptions.c.value)
        .distinct()
        .join(chats, chats.c.id == subscriptions.c.chat_id)
        .where(subscriptions.c.kind == KEYWORD, chats.c.active.is_(True), chats.c.instant)
    )
    return list(rows)


async def instant_subscribers(
    conn: AsyncConnection,
    topic_slugs: Sequence[str],
    keywords: Sequence[str],
    outlets: Collection[str] = (),
) -> list[int]:
    """Active chats with instant on subscribed to any of the topics, keywords or outlets."""
    wanted = (subscriptions.c.kind == TOPIC) & subscriptions.c.value.in_(list(topic_slugs))
    if keywords:
        wanted |= (subscriptions.c.kind == KEYWORD) & subscriptions.c.value.in_(list(keywords))
    if outlets:
        wanted |= (subscriptions.c.kind == SOURCE) & subscriptions.c.value.in_(sorted(outlets))
    rows = await conn.scalars(
        select(subscriptions.c.chat_id)
        .distinct()
        .join(chats, chats.c.id == subscriptions.c.chat_id)
        .where(wanted, chats.c.active.is_(True), chats.c.instant)
        .order_by(subscriptions.c.chat_id)
    )
    return list(rows)


async def instant_hiding(conn: AsyncConnection) -> dict[int, Hidden]:
    """What the active instant chats that mute something or show advertising hide."""
    return await _hiding(conn, chats.c.instant)


async def story_outlets(conn: AsyncConnection, story_id: int | None, article_id: int) -> set[str]:
    """The outlets that told the article's story (the article's own, without a story)."""
    where = articles.c.story_id == story_id if story_id is not None else articles.c.id == article_id
    rows = await conn.scalars(
        select(article_sources.c.name)
        .distinct()
        .join(articles, articles.c.id == article_sources.c.article_id)
        .where(where, article_sources.c.name.is_not(None))
    )
    return set(rows)


Subscriptions = frozenset[tuple[str, str]]  # (kind, value) pairs of one chat


@dataclass(frozen=True, slots=True)
class DigestChat:
    id: int
    timezone: str | None
    digest_time: str
    last_digest_at: datetime | None
    subscriptions: Subscriptions = frozenset()
    hidden: Hidden = NOTHING_HIDDEN_BUT_ADS


@dataclass(frozen=True, slots=True)
class RecentArticle:
    id: int
    ingested_at: datetime
    topics: frozenset[str]
    advert: bool = False
    outlets: frozenset[str] = frozenset()  # read only when some chat follows or mutes outlets


async def digest_chats(conn: AsyncConnection) -> list[DigestChat]:
    """Active chats with a daily digest time, with their subscriptions."""
    kind_and_value = subscriptions.c.kind + KIND_SEPARATOR + subscriptions.c.value
    rows = await conn.execute(
        select(
            chats.c.id,
            chats.c.timezone,
            chats.c.digest_time,
            chats.c.last_digest_at,
            func.aggregate_strings(kind_and_value, SUBSCRIPTION_SEPARATOR),
        )
        .outerjoin(subscriptions, subscriptions.c.chat_id == chats.c.id)
        .where(chats.c.active.is_(True), chats.c.digest_time.is_not(None))
        .group_by(chats.c.id)
    )
    seen: dict[str | None, Subscriptions] = {}
    found = [
        DigestChat(id, timezone, digest_time, last, _parse_subscriptions(joined, seen))
        for id, timezone, digest_time, last, joined in rows
    ]
    hiding = await _hiding(conn, chats.c.digest_time.is_not(None))
    return [replace(chat, hidden=hiding[chat.id]) if chat.id in hiding else chat for chat in found]


async def _hiding(conn: AsyncConnection, audience: ColumnElement) -> dict[int, Hidden]:
    """What the active chats of `audience` that mute something or show advertising hide;
    every other chat hides advertising only (mutes.NOTHING_HIDDEN_BUT_ADS)."""
    chat_ids = await conn.scalars(
        select(chats.c.id).where(
            chats.c.active.is_(True),
            audience,
            chats.c.show_ads | chats.c.id.in_(select(mutes.c.chat_id)),
        )
    )
    return await hidden_for_chats(conn, list(chat_ids))


KIND_SEPARATOR = ":"  # kinds are "topic" and "keyword"; values may hold ":" but never "\n"
SUBSCRIPTION_SEPARATOR = "\n"


def _parse_subscriptions(
    joined: str | None, seen: dict[str | None, Subscriptions]
) -> Subscriptions:
    """Chats with the same subscriptions share one frozenset (most do, in a large audience)."""
    if joined not in seen:
        pairs = joined.split(SUBSCRIPTION_SEPARATOR) if joined else ()
        split = (pair.partition(KIND_SEPARATOR) for pair in pairs)
        seen[joined] = frozenset((kind, value) for kind, _, value in split)
    return seen[joined]


async def lemma_sets(
    conn: AsyncConnection, article_ids: Sequence[int]
) -> dict[int, frozenset[str]]:
    """The indexed lemmas (title and text) of each article, for keyword subscriptions."""
    if not article_ids:
        return {}
    rows = await conn.execute(
        select(articles.c.id, articles.c.title_lemmas, articles.c.text_lemmas).where(
            articles.c.id.in_(list(article_ids))
        )
    )
    return {id: frozenset(f"{title} {text}".split()) for id, title, text in rows}


async def articles_between(
    conn: AsyncConnection, since: datetime, until: datetime, *, outlets: bool = False
) -> list[RecentArticle]:
    """Articles ingested in (since, until], oldest first, with their topics (and with
    `outlets`, the names they were seen under)."""
    rows = await conn.execute(
        select(articles.c.id, articles.c.ingested_at, articles.c.advert, article_topics.c.topic)
        .outerjoin(article_topics, article_topics.c.article_id == articles.c.id)
        .where(articles.c.ingested_at > since, articles.c.ingested_at <= until)
        .order_by(articles.c.ingested_at, articles.c.id)
    )
    found: dict[int, tuple[datetime, bool, set[str]]] = {}
    for article_id, ingested_at, advert, topic in rows:
        _, _, topics = found.setdefault(article_id, (ingested_at, advert, set()))
        if topic is not None:
            topics.add(topic)
    names: dict[int, set[str]] = {}
    if outlets and found:
        seen_at = await conn.execute(
            select(article_sources.c.article_id, article_sources.c.name).where(
                dialect.one_of(conn, article_sources.c.article_id, list(found)),
                article_sources.c.name.is_not(None),
            )
        )
        for article_id, name in seen_at:
            names.setdefault(article_id, set()).add(name)
    return [
        RecentArticle(id, at, frozenset(topics), bool(advert), frozenset(names.get(id, ())))
        for id, (at, advert, topics) in found.items()
    ]


async def lock_unchanged_digests(
    conn: AsyncConnection, seen: dict[int, datetime | None]
) -> list[int]:
    """The chats among `seen` whose last_digest_at is still the value seen, locked until the
    end of the transaction (on SQLite the write transaction locks everything already)."""
    rows = await conn.execute(
        select(chats.c.id, chats.c.last_digest_at)
        .where(dialect.one_of(conn, chats.c.id, list(seen)))
        .order_by(chats.c.id)
        .with_for_update()
    )
    return [chat_id for chat_id, last in rows if seen[chat_id] == last]


async def stamp_digests(conn: AsyncConnection, chat_ids: Sequence[int], now: datetime) -> None:
    """The chats' digests are done up to `now`: the next ones start from there."""
    await conn.execute(
        update(chats).where(chats.c.id.in_(list(chat_ids))).values(last_digest_at=now)
    )
