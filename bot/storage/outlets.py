"""Outlets as readers see them: the names under which articles were seen
(`article_sources.name`, a feed's or channel's title), listed for /sources and found from what a
reader types (a name, a site's domain, a channel). Subscriptions and mutes of sources store the
name. The caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.channel_refs import PUBLIC_WEB, preview_url
from bot.storage.schema import article_sources, sources


@dataclass(frozen=True, slots=True)
class Outlet:
    name: str
    recent: int  # articles seen (one per place seen) in the window asked for (7 days in /sources)


async def page(
    conn: AsyncConnection, since: datetime, *, limit: int, offset: int
) -> tuple[list[Outlet], int]:
    """A page of outlets, the busiest since `since` first, and how many outlets there are."""
    recent = func.sum(case((article_sources.c.seen_at >= since, 1), else_=0))
    rows = await conn.execute(
        select(article_sources.c.name, recent.label("recent"))
        .where(article_sources.c.name.is_not(None))
        .group_by(article_sources.c.name)
        .order_by(recent.desc(), article_sources.c.name)
        .limit(limit)
        .offset(offset)
    )
    total = await conn.scalar(
        select(func.count(distinct(article_sources.c.name))).where(
            article_sources.c.name.is_not(None)
        )
    )
    return [Outlet(name, count) for name, count in rows], total or 0


async def by_name(conn: AsyncConnection, name: str) -> str | None:
    """The outlet named `name`, in any letter case ("медуза" finds "Медуза")."""
    wanted = " ".join(name.split()).casefold()
    names = await conn.scalars(
        select(article_sources.c.name).distinct().where(article_sources.c.name.is_not(None))
    )
    return next((found for found in names if found.casefold() == wanted), None)


async def by_url_prefix(conn: AsyncConnection, *prefixes: str) -> str | None:
    """The outlet of an article seen at a URL starting with one of `prefixes`; a range on the
    URL index, not a scan."""
    for prefix in prefixes:
        bound = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        name = await conn.scalar(
            select(article_sources.c.name)
            .where(
                and_(article_sources.c.url >= prefix, article_sources.c.url < bound),
                article_sources.c.name.is_not(None),
            )
            .order_by(article_sources.c.url)
            .limit(1)
        )
        if name is not None:
            return name
    return None


async def by_domain(conn: AsyncConnection, host: str) -> str | None:
    """The outlet whose articles are at `host` (with or without www.)."""
    host = host.removeprefix("www.")
    return await by_url_prefix(
        conn, *(f"{scheme}://{www}{host}/" for scheme in ("https", "http") for www in ("", "www."))
    )


async def by_channel(conn: AsyncConnection, name: str) -> str | None:
    """The outlet of the public channel `name` (lower-cased username): the name its posts
    were seen under, else the channel source's title."""
    found = await by_url_prefix(conn, f"{PUBLIC_WEB}/{name}/")
    if found is None:
        found = await conn.scalar(select(sources.c.title).where(sources.c.url == preview_url(name)))
    return found
