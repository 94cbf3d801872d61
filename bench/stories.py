"""Story benchmark (`make bench`): `same_story` on a pair of articles, and what assigning
stories costs ingest when the archive holds 100,000 articles.

    python bench/stories.py [--archive 100000] [--ingest 2000]

Pairs: the labeled dev pairs (../shared/eval/stories_pairs_dev.tsv) when present, else every
pair of seeds/; the baseline is lemmatizing both texts, which any lemma-based method pays.
Assignment: the archive is written in bulk as bench/archive.py writes it, each article its own
story with its index keys (and, within reach of the new articles, its stored profile); then
articles published within its last day (generated the same way, so their titles and names
meet the archive's) are ingested batch by batch as `svodka ingest` does, after the same
warm-up as bench/archive.py, and the story steps are timed apart from the rest: the profile of
each new article, the index lookup, the comparisons and the writes of stories and keys. The
baseline is summarizing the same articles alone, batch by batch before each is ingested.

Generated articles recombine a few thousand sentences, so each new one shares index keys with
far more stories than real news would (the worst case). A second run, when
../shared/eval/topics_ria_dev.csv is present, does the same with real news in a window of its
own after the archive: RIA Novosti articles and the labeled pairs (see `real_docs`).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import archive  # noqa: E402  (bench/ is on sys.path)
from report import print_targets  # noqa: E402

DEV_PAIRS = ROOT.parent / "shared" / "eval" / "stories_pairs_dev.tsv"
RIA = ROOT.parent / "shared" / "eval" / "topics_ria_dev.csv"
TARGET_PAIR_MS = 1.0
TARGET_ASSIGN_MS = 0.5
BATCH = 256  # as `svodka ingest`
WARM_UP = 300


def pairs() -> tuple[list[tuple[str, str]], str]:
    if DEV_PAIRS.exists():
        csv.field_size_limit(2**31 - 1)
        with DEV_PAIRS.open(encoding="utf-8", newline="") as file:
            rows = list(csv.DictReader(file, delimiter="\t"))
        texts = [
            (
                f"{row['first_title']}\n{row['first_text']}",
                f"{row['second_title']}\n{row['second_text']}",
            )
            for row in rows
        ]
        return texts, DEV_PAIRS.name
    seeds = [path.read_text("utf-8") for path in sorted((ROOT / "seeds").glob("*.txt"))]
    return [(a, b) for i, a in enumerate(seeds) for b in seeds[i + 1 :]], "seeds/"


def bench_pairs() -> tuple[float, float, int, str]:
    """Mean ms per pair of same_story and of lemmatizing both texts, after a warm-up pass."""
    from summarizer.stories import same_story
    from summarizer.text import lemmas

    found, source = pairs()
    for first, second in found:
        same_story(first, second)
    timings = {}
    for name, run in (
        ("lemmas", lambda a, b: (lemmas(a), lemmas(b))),
        ("same_story", same_story),
    ):
        started = time.perf_counter()
        for _ in range(5):
            for first, second in found:
                run(first, second)
        timings[name] = (time.perf_counter() - started) * 1000 / (5 * len(found))
    return timings["same_story"], timings["lemmas"], len(found), source


def fill_stories(path: Path) -> datetime:
    """Each article of a bulk-written archive its own story, with its index keys; the stories
    new articles can reach (published in the archive's last 4 days: the new ones' day and
    their 48-hour window) with their stored profiles, as ingest stores them. The newest
    publication time."""
    from bot.storage.stories import hour
    from summarizer.stories import profile_from_lemmas

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    newest = datetime.fromisoformat(
        conn.execute("SELECT max(published_at) FROM articles").fetchone()[0]
    ).replace(tzinfo=UTC)
    reachable = newest - timedelta(days=4)
    rows = conn.execute(
        "SELECT id, title_lemmas, text_lemmas, published_at FROM articles"
    ).fetchall()
    stories, keys = [], []
    for article_id, title_lemmas, text_lemmas, published in rows:
        moment = datetime.fromisoformat(published).replace(tzinfo=UTC)
        found = profile_from_lemmas(
            title_lemmas.split(), text_lemmas.split() if moment >= reachable else []
        )
        encoded = found.encode() if moment >= reachable else None
        stories.append((article_id, article_id, published, published, 1, encoded))
        keys += [(key, hour(moment), article_id) for key in found.index_keys()]
    conn.execute("BEGIN")
    conn.execute("UPDATE articles SET story_id = id")
    conn.executemany("INSERT INTO stories VALUES (?, ?, ?, ?, ?, ?)", stories)
    conn.executemany("INSERT INTO story_keys (key, hour, story_id) VALUES (?, ?, ?)", keys)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return newest


def synthetic_docs(pages: list[str], newest: datetime) -> list:
    """`pages` as documents of seven outlets published in the archive's last day."""
    from bot.ingest.document import Document

    rng = random.Random(5)
    return [
        Document(
            page,
            url=f"https://outlet{n % 7}.example/{n}",
            published=newest - timedelta(minutes=rng.randrange(24 * 60)),
            source_name=f"Outlet {n % 7}",
        )
        for n, page in enumerate(pages)
    ]


def real_docs(newest: datetime) -> tuple[list, list] | None:
    """Real news in a window of its own, five days after the synthetic archive (whose keys are
    then out of reach): RIA Novosti's articles of ../shared/eval/topics_ria_dev.csv and the
    first article of each labeled pair spread over three days; to be timed, 100 more RIA
    articles published in the last of them and each pair's second article, within 12 hours
    of its first. None when the files are absent."""
    from bot.ingest.document import Document

    if not (RIA.exists() and DEV_PAIRS.exists()):
        return None
    csv.field_size_limit(2**31 - 1)
    with RIA.open(encoding="utf-8", newline="") as file:
        ria = [(row["title"], row["text"], row["url"]) for row in csv.DictReader(file)]
    with DEV_PAIRS.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))
    firsts = [(row["first_title"], row["first_text"], row["first_url"]) for row in rows]
    seconds = [(row["second_title"], row["second_text"], row["second_url"]) for row in rows]
    start = newest + timedelta(days=5)
    rng = random.Random(9)

    def doc(item: tuple[str, str, str], hours: float):
        title, text, url = item
        return Document(text, title=title, url=url, published=start + timedelta(hours=hours))

    hours = [rng.uniform(24, 60) for _ in firsts]  # each pair within 12 hours: same-day news
    window = [doc(item, rng.uniform(0, 72)) for item in ria[100:]]
    window += [doc(item, hour) for item, hour in zip(firsts, hours, strict=True)]
    window.sort(key=lambda item: item.published)
    timed = [doc(item, rng.uniform(48, 72)) for item in ria[:100]]
    timed += [doc(item, at + rng.uniform(0, 12)) for item, at in zip(seconds, hours, strict=True)]
    return window, timed


def pairs_told_as_one(path: Path) -> tuple[int, int, int, int]:
    """Of the labeled pairs ingested by the real-news run: (same-event pairs, those whose two
    articles ended in one story, different-event pairs, those that did anyway)."""
    from bot.ingest.dedup import canonical_url

    conn = sqlite3.connect(path)
    with DEV_PAIRS.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))

    def story(url: str) -> int | None:
        """The story of the article stored under `url`, or merged into one as its source."""
        found = conn.execute(
            "SELECT story_id FROM articles WHERE url = :url UNION SELECT story_id FROM articles"
            " JOIN article_sources AS s ON s.article_id = articles.id WHERE s.url = :url",
            {"url": canonical_url(url)},
        )
        return (found.fetchone() or [None])[0]

    joined = [
        (row["same"] == "1", story(row["first_url"]) == story(row["second_url"])) for row in rows
    ]
    conn.close()
    same = [together for is_same, together in joined if is_same]
    other = [together for is_same, together in joined if not is_same]
    return len(same), sum(same), len(other), sum(other)


async def bench_assignment(path: Path, before: list, docs: list) -> dict[str, float]:
    """Ingest `before` untimed (warm caches, as bench/archive.py), then `docs` batch by batch;
    milliseconds per article spent in each story step, in all of ingest and in summarizing
    the same documents alone."""
    from bot.ingest import pipeline
    from bot.ingest import stories as assignment
    from bot.storage import Database, articles
    from bot.storage import stories as stored
    from summarizer import summarize
    from summarizer.stories import profile_from_lemmas

    db = Database(f"sqlite+aiosqlite:///{path}")
    cache = assignment.profile_cache(db)
    for first in range(0, len(before), BATCH):
        await pipeline.ingest_documents(db, before[first : first + BATCH])
    spent = dict.fromkeys(("profile", "lookup", "assign", "record", "ingest", "alone"), 0.0)
    added = 0
    for start in range(0, len(docs), BATCH):
        began = time.perf_counter()
        for doc in docs[start : start + BATCH]:  # the baseline, batch by batch as archive.py
            summarize(f"{doc.title}\n\n{doc.text}" if doc.title else doc.text, sentences=3)
        spent["alone"] += time.perf_counter() - began
        began = time.perf_counter()
        drafts = [pipeline.prepare(doc) for doc in docs[start : start + BATCH]]
        async with db.read() as conn:
            known = await articles.lookup(conn, [draft.new for draft in drafts])
        plan = pipeline.Plan.make(drafts, known)
        async with db.transaction() as conn:
            await articles.ensure_topics(conn, {slug for new in plan.fresh for slug in new.topics})
        ingest_before_stories = time.perf_counter() - began
        # The profile was computed in prepare(): timed here again on its own.
        words = [(draft.title_lemmas, draft.body_lemmas) for draft in drafts]
        clock = time.perf_counter()
        for title, body in words:
            profile_from_lemmas(title, body)
        spent["profile"] += time.perf_counter() - clock
        clock = time.perf_counter()
        async with db.read() as conn:
            index = await assignment.StoryIndex.load(conn, plan.members, cache)
        spent["lookup"] += time.perf_counter() - clock
        async with db.transaction() as conn:
            clock = time.perf_counter()
            refs = index.assign(plan.members)
            spent["assign"] += time.perf_counter() - clock
            clock = time.perf_counter()
            ids = await articles.insert_many(conn, plan.fresh)
            inserted = time.perf_counter() - clock
            clock = time.perf_counter()
            records = assignment.joined(ids, plan.members, refs, index.keyless)
            await stored.record(conn, records)
            spent["record"] += time.perf_counter() - clock
            await articles.add_sources(
                conn, [(assignment.resolved(ref, ids), source) for ref, source in plan.merges]
            )
        assignment.remember(cache, records, plan.members)
        spent["ingest"] += ingest_before_stories + inserted
        added += len(plan.fresh)
    await db.close()
    per_article = {name: seconds * 1000 / added for name, seconds in spent.items()}
    return per_article | {"added": added, "alone": spent["alone"] * 1000 / len(docs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=int, default=100_000, help="articles in the archive")
    parser.add_argument("--ingest", type=int, default=2000, help="articles ingested into it")
    args = parser.parse_args()
    pair_ms, lemma_ms, pair_count, source = bench_pairs()
    rng = random.Random(20240501)
    pool, _ = archive.sentence_pool()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "archive.db"
        print(f"writing an archive of {args.archive} articles with stories...", file=sys.stderr)
        archive.build_archive(path, pool, args.archive, rng)
        newest = fill_stories(path)
        docs = synthetic_docs(archive.generate(pool, args.ingest + WARM_UP, rng), newest)
        synthetic = asyncio.run(bench_assignment(path, docs[:WARM_UP], docs[WARM_UP:]))
        real = real_docs(newest)
        if real:
            real = asyncio.run(bench_assignment(path, *real))
            same, together, other, wrongly = pairs_told_as_one(path)
            print(
                f"  labeled pairs in the real-news run: {together} of {same} same-event pairs told"
                f" as one story, {wrongly} of {other} different-event pairs",
                file=sys.stderr,
            )
    size = f"{args.archive // 1000}k"
    rows = [
        (f"lemmas of both texts ({pair_count} pairs, {source})", lemma_ms, "ms/pair", "", None),
        ("same_story", pair_ms, "ms/pair", "<= 1", pair_ms <= TARGET_PAIR_MS),
        *assignment_rows(f"synthetic news, {size} archive", synthetic),
    ]
    if real:
        rows += assignment_rows(f"real news after the {size} archive", real)
    print(f"  {synthetic['added']:.0f} new synthetic articles stored", file=sys.stderr)
    print_targets(rows)


def assignment_rows(label: str, timed: dict[str, float]) -> list[tuple]:
    assign_ms = timed["profile"] + timed["lookup"] + timed["assign"] + timed["record"]
    return [
        (f"{label}: summarizing alone (baseline)", timed["alone"], "ms/article", "", None),
        ("  ingest without the story steps", timed["ingest"], "ms/article", "", None),
        ("  story: profile of the new article", timed["profile"], "ms/article", "", None),
        ("  story: index lookup", timed["lookup"], "ms/article", "", None),
        ("  story: comparisons", timed["assign"], "ms/article", "", None),
        ("  story: writes (stories, keys)", timed["record"], "ms/article", "", None),
        ("  story assignment", assign_ms, "ms/article", "<= 0.5", assign_ms <= TARGET_ASSIGN_MS),
        ("  story assignment / summarizing alone", assign_ms / timed["alone"], "x", "", None),
    ]


if __name__ == "__main__":
    main()
