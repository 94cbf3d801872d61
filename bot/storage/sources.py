"""Feeds and their polling state. Functions take a connection; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.channel_refs import PUBLIC_WEB
from bot.storage.schema import article_sources, sources, utcnow

FEED = "feed"
CHANNEL = "channel"  # a public Telegram channel read from its web preview
POLLED = (FEED, CHANNEL)  # the kinds the poller reads on a schedule
ADMIN_CHANNEL = "admin_channel"  # a channel the bot administers: its posts arrive as updates


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    poll_interval: int
    next_poll_at: datetime | None
    failures: int
    last_error: str | None
    last_polled_at: datetime | None
    body_hash: str | None  # SHA-256 of the body last read: the same body is not parsed again
    site_url: str | None  # the feed's own link
    last_success_at: datetime | None
    last_error_at: datetime | None
    failing_since: datetime | None  # the first failure of the current run; None when fine
    kind: str  # FEED or CHANNEL, or ADMIN_CHANNEL (its posts arrive as updates: not polled)
    last_post_id: int | None  # a channel's newest message read from its preview


_COLUMNS = [getattr(sources.c, name) for name in Feed.__dataclass_fields__]


async def add_feed(
    conn: AsyncConnection,
    url: str,
    *,
    title: str | None = None,
    poll_interval: int = 900,
    kind: str = FEED,
) -> Feed:
    """Add a feed or a channel (or re-activate it with the new interval); it is due at once."""
    existing = await conn.scalar(select(sources.c.id).where(sources.c.url == url))
    values = {"poll_interval": poll_interval, "active": True, "next_poll_at": utcnow()}
    if existing is None:
        existing = await conn.scalar(
            sources.insert()
            .values(kind=kind, url=url, title=title, **values)
            .returning(sources.c.id)
        )
    else:
        # kind too: a channel once administered by the bot, added again, is polled again
        await conn.execute(
            sources.update().where(sources.c.id == existing).values(kind=kind, **values)
        )
    return await get_feed(conn, existing)


async def get_feed(conn: AsyncConnection, feed_id: int) -> Feed:
    row = (await conn.execute(select(*_COLUMNS).where(sources.c.id == feed_id))).one()
    return Feed(*row)


async def remove_feed(conn: AsyncConnection, feed: str | int) -> bool:
    """Remove a feed (or channel) by id or URL; its articles stay. False if there is no such
    feed."""
    key = str(feed)
    condition = sources.c.id == int(key) if key.isdigit() else sources.c.url == key
    listed = sources.c.kind.in_((*POLLED, ADMIN_CHANNEL))
    result = await conn.execute(sources.delete().where(condition, listed))
    return result.rowcount > 0


async def list_feeds(conn: AsyncConnection, kinds: Sequence[str] = POLLED) -> list[Feed]:
    rows = await conn.execute(
        select(*_COLUMNS)
        .where(sources.c.kind.in_(kinds), sources.c.active.is_(True))
        .order_by(sources.c.id)
    )
    return [Feed(*row) for row in rows]


async def claim_due_feed(conn: AsyncConnection, now: datetime, lease: timedelta) -> Feed | None:
    """The active feed waiting longest for its poll, claimed: its next poll is moved `lease`
    ahead, so no other poller takes it meanwhile, until the poll's outcome (record_success,
    record_failure) sets the real one. None if no feed is due."""
    is_due = (
        sources.c.kind.in_(POLLED),
        sources.c.active.is_(True),
        or_(sources.c.next_poll_at.is_(None), sources.c.next_poll_at <= now),
    )
    feed_id = await conn.scalar(
        select(sources.c.id).where(*is_due).order_by(sources.c.next_poll_at).limit(1)
    )
    if feed_id is None:
        return None
    claimed = await conn.execute(
        sources.update().where(sources.c.id == feed_id, *is_due).values(next_poll_at=now + lease)
    )
    return await get_feed(conn, feed_id) if claimed.rowcount else None


async def extend_claim(
    conn: AsyncConnection, feed_id: int, held_until: datetime, until: datetime
) -> bool:
    """Keep a claimed feed claimed until `until`, if the claim is still the one held until
    `held_until` (no outcome of the poll recorded since); whether it was."""
    result = await conn.execute(
        sources.update()
        .where(sources.c.id == feed_id, sources.c.next_poll_at == held_until)
        .values(next_poll_at=until)
    )
    return result.rowcount == 1


async def next_due(conn: AsyncConnection) -> datetime | None:
    """When the next active feed is due."""
    return await conn.scalar(
        select(sources.c.next_poll_at)
        .where(sources.c.kind.in_(POLLED), sources.c.active.is_(True))
        .order_by(sources.c.next_poll_at)
        .limit(1)
    )


async def record_success(
    conn: AsyncConnection,
    feed: Feed,
    now: datetime,
    *,
    etag: str | None,
    last_modified: str | None,
    title: str | None,
    body_hash: str | None,
    site_url: str | None = None,
    last_post_id: int | None = None,
) -> None:
    """A poll that worked; the last error (and when) stays on record for the operator."""
    await conn.execute(
        sources.update()
        .where(sources.c.id == feed.id)
        .values(
            etag=etag,
            last_modified=last_modified,
            title=title or feed.title,
            body_hash=body_hash,
            site_url=site_url or feed.site_url,
            last_post_id=max(last_post_id or 0, feed.last_post_id or 0) or None,
            failures=0,
            failing_since=None,
            last_polled_at=now,
            last_success_at=now,
            next_poll_at=now + timedelta(seconds=feed.poll_interval),
        )
    )


def backoff(failures: int, poll_interval: int, max_backoff: int) -> int:
    """Seconds to wait after `failures` failed polls in a row: the feed's interval doubled
    for each, at most `max_backoff`."""
    return min(poll_interval * 2 ** min(failures, 16), max_backoff)


async def record_failure(
    conn: AsyncConnection, feed: Feed, now: datetime, *, error: str, max_backoff: int
) -> datetime:
    """Count a failed poll and push the next one back; when that is."""
    failures = feed.failures + 1
    next_poll = now + timedelta(seconds=backoff(failures, feed.poll_interval, max_backoff))
    await conn.execute(
        sources.update()
        .where(sources.c.id == feed.id)
        .values(
            failures=failures,
            last_error=error,
            last_error_at=now,
            failing_since=feed.failing_since or now,
            last_polled_at=now,
            next_poll_at=next_poll,
        )
    )
    return next_poll


FAILING_LONG = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """What an operator asks about a feed: when it last worked, its last error and since when
    it fails, what it brought in the last 24 hours, when it is polled next."""

    feed: Feed
    articles_24h: int

    def failing_long(self, now: datetime) -> bool:
        since = self.feed.failing_since
        return since is not None and now - since > FAILING_LONG


async def feeds_health(conn: AsyncConnection, now: datetime) -> list[FeedHealth]:
    """Every active feed (administered channels too) with the articles it brought since `now`
    minus 24 hours."""
    feeds = await list_feeds(conn, (*POLLED, ADMIN_CHANNEL))
    recent = await conn.execute(
        select(article_sources.c.source_id, func.count(distinct(article_sources.c.article_id)))
        .where(
            article_sources.c.source_id.in_([feed.id for feed in feeds]),
            article_sources.c.seen_at >= now - timedelta(hours=24),
        )
        .group_by(article_sources.c.source_id)
    )
    counts: dict[int, int] = dict(recent.all())
    return [FeedHealth(feed, counts.get(feed.id, 0)) for feed in feeds]


async def import_feeds(
    conn: AsyncConnection,
    listed: Sequence[tuple[str, str | None, str | None]],
    *,
    poll_interval: int,
) -> tuple[int, int]:
    """Add feeds given as (url, title, site url); those already there are skipped. How many
    were added and skipped."""
    urls = [url for url, _, _ in listed]
    known = set(await conn.scalars(select(sources.c.url).where(sources.c.url.in_(urls))))
    fresh = [item for item in listed if item[0] not in known]
    now = utcnow()
    if fresh:
        await conn.execute(
            sources.insert(),
            [
                {"kind": kind_of(url), "url": url, "title": title, "site_url": site, "active": True,
                 "poll_interval": poll_interval, "next_poll_at": now}
                for url, title, site in fresh
            ],
        )  # fmt: skip
    return len(fresh), len(listed) - len(fresh)


def kind_of(url: str) -> str:
    """CHANNEL for a channel's stored preview URL (channel_refs.preview_url), else FEED."""
    return CHANNEL if url.startswith(f"{PUBLIC_WEB}/s/") else FEED
