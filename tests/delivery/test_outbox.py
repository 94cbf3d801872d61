"""The outbox on SQLite and PostgreSQL: idempotent enqueue, claims held by live workers, chats
that go or move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.delivery.heartbeat import Heartbeat
from bot.delivery.outbox import Outbox, article_item
from bot.delivery.worker import StoredChats
from bot.storage import chats
from bot.storage import deliveries as queries
from bot.storage.schema import deliveries, subscriptions, workers

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
    outbox = Outbox(world.db, Clock(NOW))
    row = {"chat_id": 1, "item": article_item(article), "article_id": article}
    await outbox.enqueue([row])
    await outbox.enqueue([row, row])
    assert await rows_of(world.db, 1) == [(f"article:{article}", "pending")]


async def test_a_claimed_row_is_held_while_its_worker_lives_and_freed_when_it_dies(
    world, make_settings
):
    """No lease: however long a live worker holds a row, nobody else takes it; once the
    worker is silent for worker_timeout, the next heartbeat of another frees it."""
    await world.chat(1)
    settings = make_settings(worker_timeout=10)
    first, second = (
        Heartbeat(world.db, settings, sole=False),
        Heartbeat(world.db, settings, sole=False),
    )
    async with first.alive(), second.alive():
        mine = Outbox(world.db, Clock(NOW), worker=first.id)
        other = Outbox(world.db, Clock(NOW + timedelta(days=1)), worker=second.id)
        await mine.enqueue([{"chat_id": 1, "item": "digest:2026-11-26", "payload": "[]"}])
        [claimed] = await mine.claim(10)
        assert (claimed.chat_id, claimed.chat_kind, claimed.parts_sent) == (1, "private", 0)
        assert await other.claim(10) == []  # a day later: still held
        await second.beat()
        assert await other.claim(10) == []  # the first worker is alive
        async with world.db.transaction() as conn:  # ...until it goes silent
            await conn.execute(
                update(workers)
                .where(workers.c.id == first.id)
                .values(heartbeat_at=NOW - timedelta(seconds=11))
            )
        await second.beat()
        assert [row.id for row in await other.claim(10)] == [claimed.id]


async def test_a_restarted_sole_worker_frees_its_predecessors_claims_at_once(world, make_settings):
    """One `svodka run` per SQLite file: a starting worker there knows that any other is a
    dead predecessor (kill -9 leaves its row), and does not wait for it to go silent."""
    await world.chat(1)
    settings = make_settings(worker_timeout=3600)
    dead = Heartbeat(world.db, settings)
    await dead._register()  # and never beats or leaves: killed
    await Outbox(world.db, Clock(NOW), worker=dead.id).enqueue([{"chat_id": 1, "item": "d:1"}])
    [claimed] = await Outbox(world.db, Clock(NOW), worker=dead.id).claim(10)
    async with Heartbeat(world.db, settings, sole=True).alive() as restarted:
        again = await Outbox(world.db, Clock(NOW), worker=restarted.id).claim(10)
    assert [row.id for row in again] == [claimed.id]


async def test_a_clean_stop_hands_claims_back_at_once(world, make_settings):
    await world.chat(1)
    await world.chat(2)
    settings = make_settings()
    second = Heartbeat(world.db, settings, sole=False)
    async with second.alive():
        async with Heartbeat(world.db, settings, sole=False).alive() as first:
            mine = Outbox(world.db, Clock(NOW), worker=first.id)
            await mine.enqueue([{"chat_id": chat, "item": "digest:2026-11-26"} for chat in (1, 2)])
            [one, two] = await mine.claim(10)
            await mine.hand_back([one.id])
            other = Outbox(world.db, Clock(NOW), worker=second.id)
            assert [row.id for row in await other.claim(10)] == [one.id]
        # The first worker left: what it still held is free.
        assert [row.id for row in await other.claim(10)] == [two.id]


async def test_a_worker_taken_for_dead_registers_again_and_frees_nothing_it_lost(
    world, make_settings
):
    """Its claims went to another worker while it was silent: handing back what it held
    leaves them with that worker (freeing them would let a row be sent twice)."""
    await world.chat(1)
    settings = make_settings()
    first, second = (
        Heartbeat(world.db, settings, sole=False),
        Heartbeat(world.db, settings, sole=False),
    )
    async with first.alive(), second.alive():
        mine = Outbox(world.db, Clock(NOW), worker=first.id)
        other = Outbox(world.db, Clock(NOW), worker=second.id)
        await mine.enqueue([{"chat_id": 1, "item": "digest:2026-11-26"}])
        [held] = await mine.claim(10)
        async with world.db.transaction() as conn:  # reaped by the others while silent
            await conn.execute(
                update(workers)
                .where(workers.c.id == first.id)
                .values(heartbeat_at=NOW - timedelta(days=1))
            )
        await second.beat()
        assert [row.id for row in await other.claim(10)] == [held.id]
        await first.beat()
        assert first.taken_for_dead.is_set()
        async with world.db.read() as conn:
            assert first.id in set(await conn.scalars(select(workers.c.id)))
        await mine.hand_back([held.id])
        async with world.db.read() as conn:
            owner = await conn.scalar(select(deliveries.c.claimed_by))
        assert owner == second.id


async def test_rows_of_inactive_chats_are_not_claimed(world, make_settings):
    await world.chat(1)
    async with Heartbeat(world.db, make_settings()).alive() as worker:
        outbox = Outbox(world.db, Clock(NOW), worker=worker.id)
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
    outbox = Outbox(world.db, Clock(NOW))
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
    outbox = Outbox(world.db, Clock(NOW))
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
