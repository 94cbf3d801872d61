"""Reader controls benchmark (`make bench`): a page of /latest over a large archive with outlets
followed and mutes (words, outlets, advertising), against the same page without them.

    python bench/reader_controls.py [--archive 100000]

The archive is bench/archive.py's (real news sentences, written in bulk), with each article its
own story, its source one of OUTLETS outlets (the first few the busiest, as in real feeds) and
one article in a hundred marked as advertising. The first rows time the article query alone
(as bench/archive.py does); the others what /latest does for one chat after its update is
parsed: its subscriptions and mutes read, then the story page (stories.latest_page: articles,
mutes, stories and their sources), on SQLite. Each in wall time and in CPU time of the
process (all threads), which a machine shared with other work inflates less.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sized
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import build_archive, sentence_pool  # noqa: E402  (bench/ is on sys.path)
from report import print_targets  # noqa: E402

from bot.storage import Database, articles, chats, mutes, outlets, stories  # noqa: E402
from bot.storage.articles import STORY_READ  # noqa: E402

RUNS = 200
PAGE = 5
OUTLETS = 40
TARGET_MS = 10.0
MUTED_WORD = "выборы"

# Chat id -> (what it follows: kind, value; what it mutes: kind, value).
CHATS: dict[int, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    1: ([], []),  # the baseline: everything, advertising hidden as for every chat
    2: ([(chats.TOPIC, "sport")], []),  # the baseline with a subscription
    3: ([(chats.SOURCE, "Outlet 07")], []),
    4: ([(chats.SOURCE, "Outlet 07"), (chats.SOURCE, "Outlet 23"), (chats.TOPIC, "sport")], []),
    5: ([], [(mutes.WORD, "выбор"), (mutes.SOURCE, "Outlet 00"), (mutes.SOURCE, "Outlet 01")]),
    # The busiest outlets muted: half of the archive hidden, the page read on to fill.
    6: ([], [(mutes.SOURCE, f"Outlet {n:02d}") for n in range(8)]),
    7: (
        [(chats.SOURCE, "Outlet 07"), (chats.TOPIC, "sport")],
        [(mutes.WORD, "выбор"), (mutes.SOURCE, "Outlet 00")],
    ),
}
LABELS = {
    1: "no filters (baseline)",
    2: "topic sport (baseline)",
    3: "source followed",
    4: "2 sources + topic",
    5: "mute: word + 2 outlets",
    6: "mute: 8 busiest outlets",
    7: "source + topic, mute word + outlet",
}


def outlet_of(article_id: int, rng: random.Random) -> str:
    """Outlets weighted like real feeds: the first ones publish most."""
    return f"Outlet {min(int(rng.expovariate(1 / 8)), OUTLETS - 1):02d}"


def prepare(path: Path, rng: random.Random) -> None:
    """Outlets, advertising and stories on the bulk-written archive, then the chats."""
    conn = sqlite3.connect(path, isolation_level=None)
    ids = [row[0] for row in conn.execute("SELECT id FROM articles")]
    conn.execute("BEGIN")
    conn.executemany(
        "UPDATE article_sources SET name = ? WHERE article_id = ?",
        [(outlet_of(article_id, rng), article_id) for article_id in ids],
    )
    conn.execute("UPDATE articles SET story_id = id, advert = (id % 100 = 0)")
    conn.execute(
        "INSERT INTO stories (id, representative_id, first_at, last_at, size)"
        " SELECT id, id, ingested_at, ingested_at, 1 FROM articles"
    )
    for chat_id, (follows, muted) in CHATS.items():
        conn.execute(
            "INSERT INTO chats (id, kind, instant, active, created_at, delivery_asked, show_ads)"
            " VALUES (?, 'private', 0, 1, CURRENT_TIMESTAMP, 1, 0)",
            (chat_id,),
        )
        for kind, value in follows:
            conn.execute(
                "INSERT INTO subscriptions (chat_id, kind, value, label, created_at)"
                " VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
                (chat_id, kind, value, value),
            )
        for kind, value in muted:
            conn.execute(
                "INSERT INTO mutes (chat_id, kind, value, label, created_at)"
                " VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
                (chat_id, kind, value, value),
            )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


async def latest_for(conn, chat_id: int, *, filtered: bool) -> list:
    """What /latest reads for a chat: its subscriptions (and, `filtered`, its mutes), then
    the page of stories."""
    _, subs = await chats.chat_with_subscriptions(conn, chat_id)
    query = {
        "topics": [sub.value for sub in subs if sub.kind == chats.TOPIC],
        "sources": [sub.value for sub in subs if sub.kind == chats.SOURCE],
    }
    hidden = await mutes.hidden_for(conn, chat_id) if filtered else None
    return (await stories.latest_page(conn, **query, count=PAGE, hidden=hidden)).views


async def _median_ms(
    run: Callable[[], Awaitable[Sized]], wanted: int, *, runs: int = RUNS
) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `run` (CPU of every thread of the process, the
    SQLite worker's included: on a shared machine it counts what the page costs, not the wait
    for a core)."""
    await run()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        found = await run()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    assert len(found) >= wanted, f"{len(found)} found, {wanted} wanted"
    return statistics.median(walls), statistics.median(cpus)


async def bench(path: Path) -> list[tuple[str, float, float]]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    results = []
    async with db.read() as conn:
        # The article query alone (bench/archive.py's "latest" rows), by topic and by outlet.
        for label, query in (
            ("articles.latest, topic sport (baseline)", {"topics": ["sport"]}),
            ("articles.latest, source followed", {"sources": ["Outlet 07"]}),
        ):
            timed = await _median_ms(
                lambda query=query: articles.latest(conn, **query, limit=PAGE * STORY_READ),
                PAGE * STORY_READ,
            )
            results.append((label, *timed))
        # /sources: every outlet with its articles of 7 days (a scan of article_sources).
        since = datetime(2024, 3, 1, tzinfo=UTC)

        async def sources_page() -> list:
            return (await outlets.page(conn, since, limit=10, offset=0))[0]

        timed = await _median_ms(sources_page, 10, runs=RUNS // 10)
        results.append(("/sources, a page of outlets (no target)", *timed))
        # The page as it was before reader controls: no mutes read, none applied.
        timed = await _median_ms(lambda: latest_for(conn, 1, filtered=False), PAGE)
        results.append(("/latest before mutes (baseline)", *timed))
        for chat_id, label in LABELS.items():
            timed = await _median_ms(
                lambda chat_id=chat_id: latest_for(conn, chat_id, filtered=True), PAGE
            )
            results.append((f"/latest, {label}", *timed))
    await db.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=int, default=100_000, help="articles in the archive")
    args = parser.parse_args()
    rng = random.Random(20261206)
    pool, source = sentence_pool()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive.db"
        print(f"writing an archive of {args.archive} articles ({source})...", file=sys.stderr)
        build_archive(archive, pool, args.archive, rng)
        prepare(archive, rng)
        results = asyncio.run(bench(archive))
    size = f"{args.archive // 1000}k"
    rows = []
    for name, wall, cpu in results:
        target = "no target" not in name
        rows.append(
            (
                f"{name}, {size}",
                wall,
                "ms median",
                "< 10" if target else "",
                wall < TARGET_MS if target else None,
            )
        )
        rows.append(
            (
                "  CPU time, all threads",
                cpu,
                "ms median",
                "< 10" if target else "",
                cpu < TARGET_MS if target else None,
            )
        )
    print_targets(rows)


if __name__ == "__main__":
    main()
