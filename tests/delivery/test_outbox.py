"""The outbox on SQLite and PostgreSQL: idempotent enqueue, leases, chats that go or move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.delivery.outbox import Outbox, article_item
from bot.delivery.worker import StoredChats
from bot.storage import chats
from bot.storage import deliveries as queries
from bot.storage.schema import deliveries, subscriptions

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def rows_of(db, chat_id: int) -> list[tuple[str, str]]:
    async with db.read() as conn:
        found = await conn.execute(
            select(deliveries.c.item, deliveries.c.state)
            .where(deliveries.c.chat_id == chat_id)
            .order_by(deliveries.c.item)
        )
        return [tuple(row) for row in found]


async def test_enqueue_is_idempotent(world):
    await world.chat(1)
    article = await world.article("Новость")
    outbox = Outbox(world.db, Clock(NOW), lease=60)
    row = {"chat_id": 1, "item": article_item(article), "article_id": article}
    await outbox.enqueue([row])
    await outbox.enqueue([row, row])
    assert await rows_of(world.db, 1) == [(f"article:{article}", "pending")]


async def test_a_claimed_row_comes_back_only_after_its_lease(world):
    await world.chat(1)
    clock = Clock(NOW)
    outbox = Outbox(world.db, clock, lease=60)
    await outbox.enqueue([{"chat_id": 1, "item": "digest:2026-11-26", "payload": "[]"}])
    [claimed] = await outbox.claim(10)
    assert (claimed.chat_id, claimed.chat_kind, claimed.parts_sent) == (1, "private", 0)
    assert await outbox.claim(10) == []
    clock.now += timedelta(seconds=61)
    assert [row.id for row in await outbox.claim(10)] == [claimed.id]


async def test_rows_of_inactive_chats_are_not_claimed(world):
    await world.chat(1)
    outbox = Outbox(world.db, Clock(NOW), lease=60)
    await outbox.enqueue([{"chat_id": 1, "item": "digest:2026-11-26"}])
    await StoredChats(world.db).deactivate(1, "Forbidden: bot was blocked by the user")
    assert await outbox.claim(10) == []
    assert await rows_of(world.db, 1) == [("digest:2026-11-26", "dropped")]
    async with world.db.read() as conn:
        errors = await queries.last_errors(conn)
    assert [(e.chat_id, e.state, e.error) for e in errors] == [
        (1, "dropped", "Forbidden: bot was blocked by the user")
    ]


async def test_a_migrated_chat_takes_its_subscriptions_and_rows_along(world):
    """ON UPDATE CASCADE moves them, on both backends."""
    await world.chat(-100, "group", topics=("sport", "economy"))
    outbox = Outbox(world.db, Clock(NOW), lease=60)
    await outbox.enqueue([{"chat_id": -100, "item": "digest:2026-11-26"}])
    await StoredChats(world.db).migrate(-100, -1001)
    assert await rows_of(world.db, -100) == []
    assert await rows_of(world.db, -1001) == [("digest:2026-11-26", "pending")]
    async with world.db.read() as conn:
        moved = await conn.scalars(
            select(subscriptions.c.value).where(subscriptions.c.chat_id == -1001)
        )
        assert sorted(moved) == ["economy", "sport"]
        assert (await chats.get_chat(conn, -1001)).kind == "supergroup"


async def test_migrating_into_a_known_supergroup_keeps_pending_rows(world):
    await world.chat(-100, "group")
    await world.chat(-1001, "supergroup")
    outbox = Outbox(world.db, Clock(NOW), lease=60)
    await outbox.enqueue(
        [
            {"chat_id": -100, "item": "digest:2026-11-26"},
            {"chat_id": -100, "item": "digest:2026-11-27"},
            {"chat_id": -1001, "item": "digest:2026-11-26"},
        ]
    )
    await StoredChats(world.db).migrate(-100, -1001)
    assert await rows_of(world.db, -1001) == [
        ("digest:2026-11-26", "pending"),
        ("digest:2026-11-27", "pending"),
    ]
