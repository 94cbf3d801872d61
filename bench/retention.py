"""Retention and `svodka db copy` on a large outbox: what pruning costs the sender, and how fast
an archive moves.

    python bench/retention.py [--rows 100000]

Pruning: --rows outbox rows sent 40 days ago in a SQLite archive, pruned by the worker's pass
(`prune_old_rows`, BATCH rows a transaction) while a stand-in sender marks one row sent every
10 ms, each in a transaction of its own (BEGIN IMMEDIATE: it waits for the write lock).
Measured: pruning transactions (median, longest) and the p95 of the sender's marks. Baseline:
the p95 of the same marks over the same time with no pruning.

Copy: the same archive (before pruning) copied by `copy_database` into PostgreSQL when it is
reachable, else into another SQLite file; rows per second. Baseline: streaming the rows out
of the source alone.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import percentile, print_targets  # noqa: E402  (bench/ is on sys.path)
from sqlalchemy import select, update  # noqa: E402

from bot.delivery import retention as worker_retention  # noqa: E402
from bot.storage import Database, retention, upgrade  # noqa: E402
from bot.storage.copy import BATCH, copy_database  # noqa: E402
from bot.storage.schema import chats, deliveries  # noqa: E402
from tests.support.databases import own_postgres_database, postgres_unavailable  # noqa: E402

MARK_EVERY = 0.01


async def fill(db: Database, rows: int) -> None:
    per_chat = 100
    finished = datetime.now(UTC) - timedelta(days=40)
    async with db.transaction() as conn:
        await conn.execute(
            chats.insert(), [{"id": n, "kind": "private"} for n in range(1, rows // per_chat + 2)]
        )
        for start in range(0, rows, 10_000):
            await conn.execute(
                deliveries.insert(),
                [
                    {"chat_id": n // per_chat + 1, "item": f"article:{n}", "state": "sent",
                     "next_attempt_at": finished, "finished_at": finished}
                    for n in range(start, min(rows, start + 10_000))
                ],
            )  # fmt: skip
        # The rows the stand-in sender marks: pending, never pruned.
        await conn.execute(
            deliveries.insert(),
            [{"chat_id": 1, "item": f"digest:{n}", "next_attempt_at": finished} for n in range(50)],
        )


async def marks(db: Database, until: asyncio.Event) -> list[float]:
    """Mark pending rows sent, one transaction every MARK_EVERY, until `until`; each's time."""
    async with db.read() as conn:
        ids = list(
            await conn.scalars(select(deliveries.c.id).where(deliveries.c.state == "pending"))
        )
    times, turn = [], 0
    while not until.is_set():
        started = time.perf_counter()
        async with db.transaction() as conn:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == ids[turn % len(ids)])
                .values(message_id=turn)
            )
        times.append(time.perf_counter() - started)
        turn += 1
        await asyncio.sleep(MARK_EVERY)
    return times


async def prune_with_sender(db: Database) -> tuple[float, list[float], list[float], int]:
    """(pass seconds, each batch's time, each mark's time meanwhile, rows pruned)."""
    batches: list[float] = []
    original = retention.prune_deliveries

    async def timed_batch(conn, before, *, limit):
        started = time.perf_counter()
        done = await original(conn, before, limit=limit)
        batches.append(time.perf_counter() - started)
        return done

    retention.prune_deliveries = timed_batch
    settings = SimpleNamespace(keep_deliveries_days=30, keep_articles_days=0)
    stop = asyncio.Event()
    sender = asyncio.create_task(marks(db, stop))
    started = time.perf_counter()
    try:
        pruned = await worker_retention.prune_old_rows(db, settings, datetime.now(UTC))
    finally:
        retention.prune_deliveries = original
    seconds = time.perf_counter() - started
    stop.set()
    return seconds, batches, await sender, pruned.get("deliveries", 0)


async def copy_rate(source: Database, rows: int) -> tuple[float, float, str]:
    started = time.perf_counter()
    async with source.engine.connect() as conn:
        result = await conn.stream(select(deliveries).execution_options(yield_per=BATCH))
        async for _ in result.partitions(BATCH):
            pass
    read_rate = rows / (time.perf_counter() - started)

    async def into(target: Database) -> float:
        await upgrade(target)
        began = time.perf_counter()
        await copy_database(source, target, lambda *step: None)
        return rows / (time.perf_counter() - began)

    if postgres_unavailable() is None:
        async with own_postgres_database("svodka_bench_retention", migrated=False) as target:
            return await into(target), read_rate, "PostgreSQL"
    with tempfile.TemporaryDirectory() as folder:
        target = Database(f"sqlite+aiosqlite:///{Path(folder) / 'copy.db'}")
        try:
            return await into(target), read_rate, "SQLite"
        finally:
            await target.close()


async def measure(rows: int) -> list:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            await upgrade(db)
            await fill(db, rows)
            copied, read, backend = await copy_rate(db, rows)
            seconds, batches, during, pruned = await prune_with_sender(db)
            stop = asyncio.Event()
            asyncio.get_running_loop().call_later(seconds, stop.set)
            alone = await marks(db, stop)
        finally:
            await db.close()
    batch, worst = percentile(batches, 0.5), max(batches)
    p95, p95_alone = percentile(during, 0.95), percentile(alone, 0.95)
    print(f"pruned {pruned:,} rows in {seconds:.2f} s, {len(batches)} transactions")
    print(f"sender's mark with no pruning (baseline): p95 {p95_alone * 1000:.1f} ms")
    print(f"streaming the outbox out of SQLite (baseline): {read:,.0f} rows/s")
    return [
        (f"pruning {worker_retention.BATCH} rows, median", batch * 1e3, "ms", "< 20", batch < 0.02),
        ("pruning, longest", worst * 1000, "ms", "", None),
        ("sender's mark while pruning, p95", p95 * 1000, "ms", "< 2x", p95 < 2 * p95_alone),
        (f"db copy into {backend}", copied, "rows/s", "> 2000", copied > 2000),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    print_targets(asyncio.run(measure(args.rows)))


if __name__ == "__main__":
    main()
