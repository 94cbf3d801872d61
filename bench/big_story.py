"""Big-story benchmark: `/latest`, `/search` and `/top` when one story holds 5,000 articles,
against the same archive where every article is its own story (the baseline, in the same run).

    python bench/big_story.py [--archive 20000] [--story 5000]

The archive is written in bulk as bench/archive.py writes it (generated articles, one outlet each,
the newest last), each article its own story (bench/stories.py's `fill_stories`). The queries run as
the handlers run them (`stories.latest_page`, `articles.search` then `stories.one_per_story`,
`stories.top` over the last 24 hours); then every other article of the newest 2 x `--story` joins
one story, all from one outlet (a feed that floods a story, the hostile case of issue 21), in a copy
of the archive. Both are queried in turn, run by run; medians of 50 runs each."""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import archive  # noqa: E402  (bench/ is on sys.path)
from report import print_targets  # noqa: E402
from stories import fill_stories  # noqa: E402

from bot.storage import Database, articles, stories  # noqa: E402

TARGET_RATIO = 1.5  # a big story's query time / the same query with ordinary stories
RUNS = 50


def queries(newest: datetime) -> dict[str, object]:
    since = newest - timedelta(hours=24)
    return {
        "/latest": lambda conn: stories.latest_page(conn, count=5),
        f"/latest {archive.TOPIC}": lambda conn: stories.latest_page(
            conn, topics=[archive.TOPIC], count=5
        ),
        f"/search {archive.KEYWORD}": lambda conn: _search(conn, archive.KEYWORD),
        "/top 20": lambda conn: stories.top(conn, since=since, limit=20),
    }


async def _search(conn, words: str):
    return await stories.one_per_story(conn, await articles.search(conn, words, limit=5))


async def compare(plain: Path, big: Path, newest: datetime) -> dict[str, tuple[float, float]]:
    """Median ms of each query on each archive; the two archives are queried in turn, run by
    run, so that a busy machine slows both alike."""
    dbs = [Database(f"sqlite+aiosqlite:///{path}") for path in (plain, big)]
    medians = {}
    async with dbs[0].read() as first, dbs[1].read() as second:
        for name, query in queries(newest).items():
            timings: tuple[list[float], list[float]] = ([], [])
            for run in range(RUNS + 1):
                for conn, spent in zip((first, second), timings, strict=True):
                    started = time.perf_counter()
                    assert await query(conn), f"{name} found nothing"
                    if run:  # the first run of each warms the caches
                        spent.append((time.perf_counter() - started) * 1000)
            medians[name] = (statistics.median(timings[0]), statistics.median(timings[1]))
    for db in dbs:
        await db.close()
    return medians


def make_big_story(path: Path, size: int) -> int:
    """Every other article of the newest 2 x `size` joins the story of the first of them, from
    one outlet; the story's id."""
    conn = sqlite3.connect(path, isolation_level=None)
    newest = conn.execute("SELECT max(id) FROM articles").fetchone()[0]
    members = list(range(newest - 2 * size + 1, newest + 1, 2))
    story_id = members[0]
    conn.execute("BEGIN")
    conn.executemany(
        "UPDATE articles SET story_id = ? WHERE id = ?", [(story_id, m) for m in members]
    )
    conn.executemany("DELETE FROM stories WHERE id = ?", [(m,) for m in members[1:]])
    conn.executemany("DELETE FROM story_keys WHERE story_id = ?", [(m,) for m in members[1:]])
    conn.execute(
        "UPDATE stories SET size = ?, last_at = (SELECT max(published_at) FROM articles"
        " WHERE story_id = ?) WHERE id = ?",
        (len(members), story_id, story_id),
    )
    conn.executemany(
        "UPDATE article_sources SET name = 'Flood' WHERE article_id = ?", [(m,) for m in members]
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return story_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=int, default=20_000)
    parser.add_argument("--story", type=int, default=5_000)
    args = parser.parse_args()
    pool, origin = archive.sentence_pool()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "archive.db"
        archive.build_archive(path, pool, args.archive, random.Random(21))
        newest = fill_stories(path)
        flooded = Path(folder) / "flooded.db"
        shutil.copyfile(path, flooded)
        make_big_story(flooded, args.story)
        medians = asyncio.run(compare(path, flooded, newest))
    print(
        f"{args.archive} articles from {origin}; then one story of {args.story} of them "
        f"(every other of the newest {2 * args.story}, one outlet)\n"
    )
    rows = []
    for name, (base, big) in medians.items():
        rows.append((f"{name}, ordinary stories", base, "ms", "", None))
        rows.append((f"{name}, a {args.story}-article story", big, "ms", "", None))
        ratio = big / base
        met = ratio <= TARGET_RATIO
        rows.append((f"{name}: big / ordinary", ratio, "x", f"≤ {TARGET_RATIO}", met))
    print_targets(rows)


if __name__ == "__main__":
    main()
