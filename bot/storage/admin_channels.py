"""Channels the bot administers: sources whose posts arrive as `channel_post` updates instead
of being polled. Functions take a connection; the caller owns the transaction."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.channel_refs import preview_url
from bot.storage import dialect
from bot.storage.schema import markers, sources
from bot.storage.sources import ADMIN_CHANNEL, CHANNEL, Feed, get_feed

ALBUM_PREFIX = "album:"
ALBUM_KEEP = timedelta(days=1)  # an album's items arrive within seconds of each other


async def add(conn: AsyncConnection, chat_id: int, url: str, title: str | None) -> Feed:
    """Store the channel `chat_id` as administered (again: with its current URL and title),
    under https://t.me/s/<name>, or https://t.me/c/<id> for a private channel.
    The source already stored for this chat, or else for this URL (a public channel read
    from its web preview), becomes it: one channel is one source, read one way."""
    found = (
        await conn.execute(
            select(sources.c.id, sources.c.chat_id).where(
                or_(sources.c.chat_id == chat_id, sources.c.url == url)
            )
        )
    ).all()
    mine = [source_id for source_id, chat in found if chat == chat_id]
    same_url = [source_id for source_id, chat in found if chat != chat_id]
    values = {"kind": ADMIN_CHANNEL, "chat_id": chat_id, "title": title, "active": True,
              "next_poll_at": None, "failures": 0, "failing_since": None}  # fmt: skip
    if mine and same_url:
        # The channel was renamed to a name stored as a public channel: that one is this.
        await conn.execute(sources.delete().where(sources.c.id.in_(same_url)))
    if mine or same_url:
        source_id = (mine or same_url)[0]
        await conn.execute(
            sources.update().where(sources.c.id == source_id).values(url=url, **values)
        )
    else:
        source_id = await conn.scalar(
            sources.insert().values(url=url, **values).returning(sources.c.id)
        )
    return await get_feed(conn, source_id)


async def of_chat(conn: AsyncConnection, chat_id: int) -> Feed | None:
    """The administered channel whose updates carry `chat_id`; None if it is no source."""
    source_id = await conn.scalar(
        select(sources.c.id).where(
            sources.c.chat_id == chat_id,
            sources.c.kind == ADMIN_CHANNEL,
            sources.c.active.is_(True),
        )
    )
    return await get_feed(conn, source_id) if source_id is not None else None


async def remove(conn: AsyncConnection, chat_id: int) -> bool:
    """Stop taking the posts of the administered channel `chat_id` (by its URL or id, it is
    removed as any feed is); its articles stay. False if there is no such channel."""
    result = await conn.execute(
        sources.delete().where(sources.c.chat_id == chat_id, sources.c.kind == ADMIN_CHANNEL)
    )
    return result.rowcount > 0


async def lose(
    conn: AsyncConnection, chat_id: int, now: datetime, *, reason: str, poll_interval: int
) -> None:
    """The bot no longer administers the channel `chat_id`, whose posts then stop coming: a
    public one is read from its web preview from now on, a private one stays, failing with
    `reason`, for the operator to see (until `/feed add` or its rights come back)."""
    source = await of_chat(conn, chat_id)
    if source is None:
        return
    if source.url.startswith(preview_url("")):
        values = {"kind": CHANNEL, "next_poll_at": now, "poll_interval": poll_interval}
    else:
        since = func.coalesce(sources.c.failing_since, now)
        values = {"last_error": reason, "last_error_at": now, "failing_since": since}
    await conn.execute(sources.update().where(sources.c.id == source.id).values(**values))


async def regain(conn: AsyncConnection, chat_id: int) -> None:
    """The bot administers the channel `chat_id` again: its posts come again."""
    await conn.execute(
        sources.update()
        .where(sources.c.chat_id == chat_id, sources.c.kind == ADMIN_CHANNEL)
        .values(failing_since=None)
    )


async def claim_album(
    conn: AsyncConnection, chat_id: int, media_group_id: str, now: datetime
) -> bool:
    """Whether this is the first item of the album to be taken, by any bot instance: an album
    is one message per photo, and it is one post. Claims older than ALBUM_KEEP are pruned."""
    digest = hashlib.sha256(f"{chat_id}:{media_group_id}".encode()).hexdigest()[:40]
    await conn.execute(
        delete(markers).where(
            markers.c.name.startswith(ALBUM_PREFIX, autoescape=True),
            markers.c.value < (now - ALBUM_KEEP).isoformat(),
        )
    )
    statement = dialect.insert(conn.dialect, markers, skip_conflicts_on=["name"])
    result = await conn.execute(statement.values(name=ALBUM_PREFIX + digest, value=now.isoformat()))
    return result.rowcount == 1
