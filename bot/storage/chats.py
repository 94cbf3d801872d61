"""Chats (users, groups, channels) and their subscriptions. The caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, bindparam, cast, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import dialect
from bot.storage.schema import chats, mutes, subscriptions

TOPIC = "topic"
KEYWORD = "keyword"
SOURCE = "source"  # an outlet or channel, by its name as readers see it (article_sources.name)


@dataclass(frozen=True)
class Chat:
    id: int
    kind: str  # private | group | supergroup | channel
    title: str | None
    username: str | None
    timezone: str | None  # None: the deployment's default
    digest_time: str | None  # "HH:MM" local time, None: no daily digest
    instant: bool
    active: bool
    added_by: int | None
    last_digest_at: datetime | None
    delivery_asked: bool = True
    link_preview: bool | None = None  # None: on for instant pushes, off for digests
    summary_sentences: int | None = None  # None: the default length
    show_ads: bool = False


@dataclass(frozen=True)
class Subscription:
    id: int
    kind: str  # TOPIC | KEYWORD | SOURCE
    value: str  # topic slug, the keyword's lemmas joined by " ", or the outlet's name
    label: str  # as the user typed it (the topic's name for topics)


_CHAT_COLUMNS: tuple[Column[Any], ...] = (
    chats.c.id,
    chats.c.kind,
    chats.c.title,
    chats.c.username,
    chats.c.timezone,
    chats.c.digest_time,
    chats.c.instant,
    chats.c.active,
    chats.c.added_by,
    chats.c.last_digest_at,
    chats.c.delivery_asked,
    chats.c.link_preview,
    chats.c.summary_sentences,
    chats.c.show_ads,
)

_SUBSCRIPTION_COLUMNS = (
    subscriptions.c.id,
    subscriptions.c.kind,
    subscriptions.c.value,
    subscriptions.c.label,
)


async def upsert_chat(
    conn: AsyncConnection,
    chat_id: int,
    kind: str,
    *,
    title: str | None = None,
    username: str | None = None,
    added_by: int | None = None,
) -> Chat:
    """Record a chat as seen now: kind, title and username refreshed, marked active again."""
    fresh: dict[str, object] = {"kind": kind, "title": title, "username": username, "active": True}
    if added_by is not None:
        fresh["added_by"] = added_by
    statement = dialect.insert(conn.dialect, chats).values(id=chat_id, **fresh)
    statement = statement.on_conflict_do_update(
        index_elements=[chats.c.id], set_={**fresh, "inactive_reason": None}
    )
    await conn.execute(statement)
    chat = await get_chat(conn, chat_id)
    assert chat is not None
    return chat


async def get_chat(conn: AsyncConnection, chat_id: int) -> Chat | None:
    row = (await conn.execute(select(*_CHAT_COLUMNS).where(chats.c.id == chat_id))).first()
    return None if row is None else Chat(*row)


async def get_chat_by_username(conn: AsyncConnection, username: str) -> Chat | None:
    name = username.removeprefix("@").lower()
    query = select(*_CHAT_COLUMNS).where(func.lower(chats.c.username) == name)
    row = (await conn.execute(query)).first()
    return None if row is None else Chat(*row)


async def set_timezone(conn: AsyncConnection, chat_id: int, timezone: str | None) -> None:
    await conn.execute(update(chats).where(chats.c.id == chat_id).values(timezone=timezone))


async def set_digest_time(conn: AsyncConnection, chat_id: int, digest_time: str | None) -> None:
    await conn.execute(update(chats).where(chats.c.id == chat_id).values(digest_time=digest_time))


async def set_instant(conn: AsyncConnection, chat_id: int, instant: bool) -> None:
    await conn.execute(update(chats).where(chats.c.id == chat_id).values(instant=instant))


async def set_chat_options(conn: AsyncConnection, chat_id: int, **options: object) -> None:
    """Set reader options of a chat: delivery_asked, link_preview, summary_sentences, show_ads."""
    await conn.execute(update(chats).where(chats.c.id == chat_id).values(**options))


async def deactivate_chat(conn: AsyncConnection, chat_id: int, reason: str) -> None:
    """Stop delivering to a chat (blocked, kicked, deleted); its settings are kept."""
    await conn.execute(
        update(chats).where(chats.c.id == chat_id).values(active=False, inactive_reason=reason)
    )


async def migrate_chat(conn: AsyncConnection, old_id: int, new_id: int) -> None:
    """A group became a supergroup with a new id: move its settings, subscriptions and mutes."""
    if await get_chat(conn, old_id) is None:
        return
    if await get_chat(conn, new_id) is None:
        # Subscriptions and deliveries follow through ON UPDATE CASCADE.
        await conn.execute(
            update(chats).where(chats.c.id == old_id).values(id=new_id, kind="supergroup")
        )
        return
    moved = select(
        cast(literal(new_id), chats.c.id.type),
        subscriptions.c.kind,
        subscriptions.c.value,
        subscriptions.c.label,
    ).where(subscriptions.c.chat_id == old_id)
    statement = dialect.insert(conn.dialect, subscriptions).from_select(
        ["chat_id", "kind", "value", "label"], moved
    )
    await conn.execute(statement.on_conflict_do_nothing())
    muted = select(
        cast(literal(new_id), chats.c.id.type), mutes.c.kind, mutes.c.value, mutes.c.label
    )
    statement = dialect.insert(conn.dialect, mutes).from_select(
        ["chat_id", "kind", "value", "label"], muted.where(mutes.c.chat_id == old_id)
    )
    await conn.execute(statement.on_conflict_do_nothing())
    await conn.execute(delete(chats).where(chats.c.id == old_id))


async def add_subscription(
    conn: AsyncConnection, chat_id: int, kind: str, value: str, label: str
) -> bool:
    """Subscribe a chat; False when it already had that subscription."""
    statement = dialect.insert(conn.dialect, subscriptions).values(
        chat_id=chat_id, kind=kind, value=value, label=label
    )
    result = await conn.execute(statement.on_conflict_do_nothing())
    return result.rowcount > 0


async def remove_subscription(conn: AsyncConnection, chat_id: int, kind: str, value: str) -> bool:
    result = await conn.execute(
        delete(subscriptions).where(
            subscriptions.c.chat_id == chat_id,
            subscriptions.c.kind == kind,
            subscriptions.c.value == value,
        )
    )
    return result.rowcount > 0


async def remove_subscription_by_id(conn: AsyncConnection, chat_id: int, sub_id: int) -> bool:
    """Remove one subscription of this chat; another chat's id removes nothing."""
    result = await conn.execute(
        delete(subscriptions).where(
            subscriptions.c.id == sub_id, subscriptions.c.chat_id == chat_id
        )
    )
    return result.rowcount > 0


async def remove_all_subscriptions(conn: AsyncConnection, chat_id: int) -> int:
    result = await conn.execute(delete(subscriptions).where(subscriptions.c.chat_id == chat_id))
    return result.rowcount


async def list_subscriptions(conn: AsyncConnection, chat_id: int) -> list[Subscription]:
    query = (
        select(*_SUBSCRIPTION_COLUMNS)
        .where(subscriptions.c.chat_id == chat_id)
        .order_by(subscriptions.c.kind.desc(), subscriptions.c.id)
    )
    return [Subscription(*row) for row in await conn.execute(query)]


async def chat_with_subscriptions(
    conn: AsyncConnection, chat_id: int
) -> tuple[Chat | None, list[Subscription]]:
    """A chat and its subscriptions in one query (the hot path of /latest)."""
    rows = (await conn.execute(_CHAT_WITH_SUBSCRIPTIONS, {"chat_id": chat_id})).all()
    if not rows:
        return None, []
    width = len(_CHAT_COLUMNS)
    subs = [Subscription(*row[width:]) for row in rows if row[width] is not None]
    return Chat(*rows[0][:width]), subs


# Built once: a statement reused with parameters skips SQLAlchemy's per-call construction.
_CHAT_WITH_SUBSCRIPTIONS = (
    select(*_CHAT_COLUMNS, *_SUBSCRIPTION_COLUMNS)
    .outerjoin(subscriptions, subscriptions.c.chat_id == chats.c.id)
    .where(chats.c.id == bindparam("chat_id"))
    .order_by(subscriptions.c.kind.desc(), subscriptions.c.id)
)


async def count_subscriptions(conn: AsyncConnection, chat_id: int) -> int:
    query = select(func.count()).where(subscriptions.c.chat_id == chat_id)
    return (await conn.execute(query)).scalar_one()


async def chats_added_by(conn: AsyncConnection, user_id: int) -> list[Chat]:
    """Channels and groups this user connected with /channel add."""
    query = (
        select(*_CHAT_COLUMNS)
        .where(chats.c.added_by == user_id, chats.c.kind != "private", chats.c.active)
        .order_by(chats.c.title)
    )
    return [Chat(*row) for row in await conn.execute(query)]


async def count_chats(conn: AsyncConnection) -> dict[str, int]:
    """Active chats by kind."""
    query = select(chats.c.kind, func.count()).where(chats.c.active).group_by(chats.c.kind)
    return {kind: number for kind, number in await conn.execute(query)}
