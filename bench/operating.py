"""Operating it (`make bench`): the /stats chart and a /metrics scrape, and what they cost the
event loop that answers people.

    python bench/operating.py [--outbox 100000]

Chart: `draw_stats_chart` of a full series (11 topics over 14 days, 3 outcomes over 48 hours),
the first call (matplotlib imported) and the median of 5 more. Baseline: an empty figure of
the same size saved as PNG, matplotlib's own floor. Loop lag: a task that sleeps 5 ms at a
time records how late it wakes while `render_stats_chart` draws three charts in a worker
process (as in svodka run); baselines, the same while they draw in a thread (as in tests and
the demo), and with nothing else running.

Scrape: the /metrics answer (`read_database` then `generate_latest`) with --outbox rows in a
SQLite outbox, median of 5. Baseline: `generate_latest` alone.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import print_targets  # noqa: E402  (bench/ is on sys.path)

from bot import metrics  # noqa: E402
from bot.charts import DAYS, HOURS, StatsSeries, draw_stats_chart, render_stats_chart  # noqa: E402
from bot.ingest.offload import ProcessOffload  # noqa: E402
from bot.storage import Database, upgrade  # noqa: E402
from bot.storage.schema import chats, deliveries  # noqa: E402

TICK = 0.005
STATES = ("sent", "sent", "sent", "failed", "dropped", "pending")


def full_series() -> StatsSeries:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    days = [(now - timedelta(days=back)).date() for back in range(DAYS - 1, -1, -1)]
    hours = [now - timedelta(hours=back) for back in range(HOURS - 1, -1, -1)]
    return StatsSeries(
        days=days,
        per_topic={f"Тема {n}": [(n * day) % 40 for day in range(DAYS)] for n in range(11)},
        hours=hours,
        per_outcome={
            "sent": [200 + hour for hour in range(HOURS)],
            "failed": [hour % 7 for hour in range(HOURS)],
            "dropped": [hour % 3 for hour in range(HOURS)],
        },
    )


def empty_png() -> bytes:
    import io

    from matplotlib.figure import Figure

    out = io.BytesIO()
    Figure(figsize=(9, 9), dpi=100).savefig(out, format="png")
    return out.getvalue()


def timed(function, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


async def worst_lag(during) -> float:
    """The latest a 5 ms sleeper woke up while `during` (a coroutine) ran."""
    loop = asyncio.get_running_loop()
    worst = 0.0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal worst
        while not done.is_set():
            started = loop.time()
            await asyncio.sleep(TICK)
            worst = max(worst, loop.time() - started - TICK)

    ticker = asyncio.create_task(tick())
    await during
    done.set()
    await ticker
    return worst


async def three_charts(series: StatsSeries, offload: ProcessOffload | None) -> None:
    await asyncio.gather(*(render_stats_chart(series, offload) for _ in range(3)))


async def fill_outbox(db: Database, rows: int) -> None:
    per_chat = 100
    async with db.transaction() as conn:
        chat_rows = [{"id": chat, "kind": "private"} for chat in range(1, rows // per_chat + 1)]
        await conn.execute(chats.insert(), chat_rows)
        now = datetime.now(UTC)
        await conn.execute(
            deliveries.insert(),
            [
                {"chat_id": number // per_chat + 1, "item": f"article:{number % per_chat}",
                 "state": STATES[number % len(STATES)], "next_attempt_at": now}
                for number in range(rows)
            ],
        )  # fmt: skip


async def scrape_times(outbox: int) -> tuple[float, float]:
    from prometheus_client import generate_latest

    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            await upgrade(db)
            await fill_outbox(db, outbox)
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                await metrics.read_database(db)
                generate_latest()
                runs.append(time.perf_counter() - started)
        finally:
            await db.close()
    return statistics.median(runs), timed(generate_latest)


async def measure(outbox: int) -> list:
    series = full_series()
    started = time.perf_counter()
    png = draw_stats_chart(series)
    first = time.perf_counter() - started
    chart = timed(lambda: draw_stats_chart(series))
    floor = timed(empty_png)
    idle_lag = await worst_lag(asyncio.sleep(chart * 3))
    thread_lag = await worst_lag(three_charts(series, None))
    pool = ProcessOffload(1)
    try:
        await pool.run(draw_stats_chart, series)  # the worker starts and imports matplotlib
        render_lag = await worst_lag(three_charts(series, pool))
    finally:
        await pool.shutdown()
    scrape, bare = await scrape_times(outbox)
    print(f"chart: {len(png) / 1024:.0f} KiB PNG; empty figure (baseline) {floor * 1000:.0f} ms")
    print(f"loop lag while idle (baseline): {idle_lag * 1000:.1f} ms")
    print(f"loop lag while 3 charts draw in a thread (baseline): {thread_lag * 1000:.1f} ms")
    print(f"/metrics without the database (baseline): {bare * 1000:.2f} ms")
    return [
        ("chart, first call with matplotlib import", first, "s", "< 3", first < 3),
        ("chart, median of 5", chart, "s", "< 1", chart < 1),
        (
            "loop lag, 3 charts in a worker process",
            render_lag * 1000,
            "ms",
            "< 50",
            render_lag < 0.05,
        ),
        (f"/metrics scrape, {outbox:,} outbox rows", scrape * 1000, "ms", "< 100", scrape < 0.1),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outbox", type=int, default=100_000)
    args = parser.parse_args()
    print_targets(asyncio.run(measure(args.outbox)))


if __name__ == "__main__":
    main()
