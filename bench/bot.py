"""Bot benchmark (`make bench`): /latest latency through the local Bot API server while 50 users
send at once, and the memory of the bot process, over a 100,000-article archive.

    python bench/bot.py [--articles 100000] [--rounds 10]

Baselines in the same run: an empty archive, and the 15 seed articles (replies of the same
size as with the large archive). The bot is the real `svodka run` in a process of its own
(feed poller and delivery included), long-polling the local server over HTTP. Each round, 50
new users send /latest at the same moment; a request's latency runs from the update being
queued on the server (long polling hands it to the bot at once) to the server receiving the
bot's sendMessage for that user. The large archive is written in bulk straight into the
tables by bench/archive.py's builder. The last row adds a feed, which makes the bot load its
ingest stack (the feed poller imports it only once a feed exists).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from archive import _migrate, build_archive, sentence_pool  # noqa: E402
from report import percentile  # noqa: E402

from localapi import LocalBotAPI, user  # noqa: E402

USERS = 50
TOKEN = "123456:BENCH"
TARGET_P95_MS = 50.0
TARGET_RSS_MB = 250.0
START_TIMEOUT = 120.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory of a process now and at its peak, MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def measure(database: Path, rounds: int) -> dict[str, float]:
    """Start `svodka run` on `database`, run the rounds, stop it; latencies (ms) and RSS."""
    async with LocalBotAPI() as api:
        env = {key: value for key, value in os.environ.items() if not key.startswith("SVODKA_")}
        env |= {
            "BOT_TOKEN": TOKEN,
            "SVODKA_TELEGRAM_API": api.base_url,
            "SVODKA_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "SVODKA_LISTEN": "127.0.0.1:0",  # /healthz and /metrics on a free port, never 8080
        }
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=database.parent,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            await api.wait_for("setMyCommands", count=2, timeout=START_TIMEOUT)
            await one_round(api, first_user=1_000_000)  # warms caches up, not counted
            cpu_before = cpu_seconds(bot.pid)
            latencies: list[float] = []
            for number in range(1, rounds + 1):
                latencies += await one_round(api, first_user=1_000_000 + number * USERS)
            cpu = cpu_seconds(bot.pid) - cpu_before
            rss, peak = rss_mb(bot.pid)
        finally:
            bot.send_signal(signal.SIGINT)
            await bot.wait()
    return {
        "requests": len(latencies),
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies),
        "cpu": cpu * 1000 / len(latencies),
        "rss": rss,
        "peak": peak,
    }


async def one_round(api: LocalBotAPI, first_user: int) -> list[float]:
    """USERS new users send /latest at once; each one's latency in ms."""
    people = [user(first_user + index, f"Читатель {index}") for index in range(USERS)]
    sent_at: dict[int, float] = {}
    for person in people:
        sent_at[person["id"]] = time.monotonic()
        api.inject_message("/latest", user=person)
    replies = await api.wait_for(
        lambda call: call.method == "sendMessage" and call.chat_id in sent_at,
        count=USERS,
        timeout=60,
    )
    return [(call.at - sent_at[call.chat_id]) * 1000 for call in replies]


async def _seed(path: Path) -> None:
    """The demo's archive: seeds/ through the real ingest pipeline."""
    from bot.config import Settings
    from bot.demo import seed_archive
    from bot.storage.database import Database
    from bot.storage.migrate import upgrade

    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    await seed_archive(db, Settings())
    await db.close()


async def _add_feed(path: Path) -> None:
    """A feed makes the bot load its ingest stack (the feed itself is refused: no network)."""
    from bot.storage import sources
    from bot.storage.database import Database

    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.transaction() as conn:
        await sources.add_feed(conn, "http://127.0.0.1:9/feed.xml")
    await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="svodka-bench-bot-") as folder:
        empty, seeded, large = (
            Path(folder) / name for name in ("empty.db", "seeds.db", "large.db")
        )
        asyncio.run(_migrate(empty))
        asyncio.run(_seed(seeded))
        pool, source = sentence_pool()
        build_seconds = build_archive(large, pool, args.articles, random.Random(7))
        print(f"archive: {args.articles} articles from {source} in {build_seconds:.0f} s",
              file=sys.stderr)  # fmt: skip
        rows = [
            ("empty archive (baseline)", asyncio.run(measure(empty, args.rounds))),
            ("seeds/, 15 articles", asyncio.run(measure(seeded, args.rounds))),
            (f"{args.articles:,} articles", asyncio.run(measure(large, args.rounds))),
        ]
        asyncio.run(_add_feed(large))
        rows.append((f"{args.articles:,} + a feed", asyncio.run(measure(large, args.rounds))))
    load = os.getloadavg()[0]
    print(f"/latest, {USERS} users at once, {args.rounds} rounds, `svodka run` in its own process"
          f" ({os.cpu_count()} CPUs, load average {load:.1f} at the end)")  # fmt: skip
    header = f"{'archive':<26} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
    print(header + f"{'CPU ms/req':>10} {'RSS MB':>8} {'peak MB':>8}")
    for name, row in rows:
        print(
            f"{name:<26} {row['requests']:>8} {row['p50']:>8.1f} {row['p95']:>8.1f} "
            f"{row['max']:>8.1f} {row['cpu']:>10.2f} {row['rss']:>8.0f} {row['peak']:>8.0f}"
        )
    large_row = rows[2][1]
    p95_ok = "ok" if large_row["p95"] < TARGET_P95_MS else "MISSED"
    rss_ok = "ok" if large_row["peak"] < TARGET_RSS_MB else "MISSED"
    with_feed = "ok" if rows[3][1]["peak"] < TARGET_RSS_MB else "MISSED"
    print(f"targets ({args.articles:,} articles): p95 < {TARGET_P95_MS:.0f} ms: {p95_ok}; "
          f"peak RSS < {TARGET_RSS_MB:.0f} MB: {rss_ok} (with a feed: {with_feed})")  # fmt: skip


if __name__ == "__main__":
    main()
