"""What a story's addition (the sentence another outlet adds, bot/ingest/additions.py) costs
ingest and the pages that show stories.

    python bench/story_additions.py [--rounds 20] [--pairs ../shared/eval/stories_pairs_dev.tsv]

The labeled pairs of ../shared/eval/stories_pairs_dev.tsv (the seeds and their retellings in
tests/retellings.py when it is absent) are ingested into a temporary SQLite archive: every pair's
first article in one batch, then each second article as a batch of its own, as feeds bring them; it
joins its first article's story where the pair is told as one. Baseline: the same with the addition
step left out, in an archive of its own. Reading: `one_per_story` (what /latest, /top and digests
call) over the whole archive, with and without reading the additions."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import print_targets  # noqa: E402

DEV_PAIRS = ROOT.parent / "shared" / "eval" / "stories_pairs_dev.tsv"


def pairs(path: Path) -> tuple[list, list, str]:
    """(first articles, second articles, where they come from)."""
    from bot.ingest.document import Document

    start = datetime(2026, 5, 1, 9, tzinfo=UTC)
    if not path.exists():
        from tests import retellings

        seeds = sorted((ROOT / "seeds").glob("*.txt"))
        firsts = [Document(path.read_text("utf-8"), published=start) for path in seeds]
        later = start + timedelta(hours=1)
        seconds = [
            replace(doc, published=later)
            for doc in (retellings.FIRE_TASS, retellings.FIRE_INTERFAX, retellings.FINAL_RIA)
        ]
        return firsts, seconds, "seeds/ and tests/retellings.py"
    csv.field_size_limit(2**31 - 1)
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))

    def doc(row: dict, which: str, hours: int) -> Document:
        return Document(
            row[f"{which}_text"],
            title=row[f"{which}_title"],
            url=row[f"{which}_url"],
            published=start + timedelta(hours=hours),
        )

    return (
        [doc(row, "first", 0) for row in rows],
        [doc(row, "second", 1) for row in rows],
        (f"{len(rows)} pairs of {DEV_PAIRS.name}"),
    )


async def ingest(path: Path, firsts: list, seconds: list, *, with_additions: bool):
    """ms per second article in all of ingest and in the addition step; stories with an
    addition; the archive."""
    from bot.ingest import additions, pipeline
    from bot.storage import Database
    from bot.storage.migrate import upgrade

    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    await pipeline.ingest_documents(db, firsts)
    step = additions.add_to_stories
    spent = [0.0]

    async def timed(conn, joined):
        began = time.perf_counter()
        if with_additions:
            await step(conn, joined)
        spent[0] += time.perf_counter() - began

    additions.add_to_stories = timed
    try:
        began = time.perf_counter()
        for doc in seconds:
            await pipeline.ingest_documents(db, [doc])
        total = time.perf_counter() - began
    finally:
        additions.add_to_stories = step
    return total * 1000 / len(seconds), spent[0] * 1000 / len(seconds), db


async def read(db, rounds: int, *, with_additions: bool) -> tuple[float, int, int]:
    """ms per `one_per_story` of the whole archive (median of `rounds`), additions shown, and
    stories told by more than one outlet."""
    from bot.storage import additions, articles, stories

    stored = additions.stored

    async def nothing(conn, story_ids):
        return {}

    additions.stored = stored if with_additions else nothing
    times = []
    try:
        for _ in range(rounds):
            async with db.read() as conn:
                began = time.perf_counter()
                views = await articles.latest(conn, limit=100)
                told = await stories.one_per_story(conn, views)
                times.append(time.perf_counter() - began)
    finally:
        additions.stored = stored
    times.sort()
    added = sum(view.addition is not None for view in told.views)
    return times[len(times) // 2] * 1000, added, sum(len(view.sources) > 1 for view in told.views)


async def bench(path: Path, rounds: int) -> None:
    firsts, seconds, source = pairs(path)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        base_ms, _, base_db = await ingest(
            Path(folder) / "base.db", firsts, seconds, with_additions=False
        )
        ingest_ms, step_ms, db = await ingest(
            Path(folder) / "added.db", firsts, seconds, with_additions=True
        )
        plain_ms, *_ = await read(db, rounds, with_additions=False)
        read_ms, shown, shared = await read(db, rounds, with_additions=True)
        await base_db.close()
        await db.close()
    print(
        f"{source}: {shown} of {shared} stories of several outlets got an addition", file=sys.stderr
    )
    rows = [
        ("ingest of a joining article, baseline", base_ms, "ms/article", "", None),
        ("ingest of a joining article, with it", ingest_ms, "ms/article", "", None),
        ("the addition step alone", step_ms, "ms/article", "", None),
        ("one per story over the archive, baseline", plain_ms, "ms", "", None),
        ("one per story over the archive, with additions", read_ms, "ms", "", None),
    ]
    print_targets(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="reads timed")
    parser.add_argument("--pairs", type=Path, default=DEV_PAIRS, help="labeled pairs (TSV)")
    args = parser.parse_args()
    asyncio.run(bench(args.pairs, args.rounds))


if __name__ == "__main__":
    main()
