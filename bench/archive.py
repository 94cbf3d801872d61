"""Archive benchmark (`make bench`): ingest throughput against summarizing alone, query latency
over a large archive, memory of a process holding it open, and its size on disk.

    python bench/archive.py [--ingest 10000] [--archive 100000]

Articles are generated from the sentences of real news (../shared/eval/gazeta_dev.jsonl when
present, else seeds/): each takes a title and 5-10 random sentences, the length of a typical
news item. Ingest (clean, summary, topics, lemmas, dedup and storage, in the batches of
`svodka ingest`) and the baseline (`summarize` of the same texts) run in this process, after
the same warm-up; the SQLite writes run on aiosqlite's thread while this one waits. The large
archive for the query timings is written in bulk straight into the tables (FTS index included),
not through the pipeline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Only what a process holding the archive open needs; the rest is imported where it is used,
# so that the memory probe (a child process running --hold-open) measures just that.
from report import print_targets  # noqa: E402  (bench/ is on sys.path)

from bot.storage import Database, articles, upgrade  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval" / "gazeta_dev.jsonl"
SEEDS = ROOT / "seeds"
WARM_UP = 300
QUERY_RUNS = 200
TOPIC = "sport"
KEYWORD = "выборы"

TARGET_RATE = 100.0  # articles/s
TARGET_RATIO = 1.6  # ingest time / summarize-alone time
TARGET_QUERY_MS = 10.0
TARGET_RSS_MB = 200.0


def sentence_pool() -> tuple[list[str], str]:
    from summarizer import text as nlp

    if EVAL.exists():
        texts = [json.loads(line)["text"] for line in EVAL.read_text("utf-8").splitlines()]
        source = "gazeta_dev.jsonl"
    else:
        texts = [path.read_text("utf-8") for path in sorted(SEEDS.glob("*.txt"))]
        source = "seeds/"
    pool = [s for text in texts for s in nlp.sentences(text) if 40 <= len(s) <= 400]
    return pool, source


def generate(pool: list[str], count: int, rng: random.Random) -> list[str]:
    """Pages in the scraped shape: a title line, a blank line, one sentence per line. One in
    twenty is another outlet's copy of an earlier story, one in twenty its rewrite (another
    headline, one sentence changed), so that dedup has work to do."""
    pages: list[str] = []
    for _ in range(count):
        kind = rng.random()
        if pages and kind < 0.05:
            pages.append(rng.choice(pages))
            continue
        title = rng.choice(pool)[:100].rsplit(" ", 1)[0].rstrip(",.:;—- ")
        if pages and kind < 0.1:
            body = rng.choice(pages).split("\n")[2:]
            body[rng.randrange(len(body))] = rng.choice(pool)
        else:
            body = rng.sample(pool, rng.randint(5, 10))
        pages.append(f"{title}\n\n" + "\n".join(body))
    return pages


async def bench_ingest(pages: list[str], workdir: Path) -> dict[str, float]:
    """Time to summarize the pages alone, and to ingest them as `svodka ingest` does (JSONL
    files, batches), after the same warm-up. The two alternate chunk by chunk, so that both
    see the same machine when other processes come and go."""
    from bot.config import Settings
    from bot.ingest.document import Document
    from bot.ingest.intake import ingest_paths_or_urls
    from bot.ingest.pipeline import IngestReport, ingest_documents
    from summarizer import summarize

    db = Database(f"sqlite+aiosqlite:///{workdir / 'ingest.db'}")
    await upgrade(db)
    settings = Settings(database_url=str(db.url))
    await ingest_documents(db, [Document(page) for page in pages[:WARM_UP]])  # warm caches
    measured = pages[WARM_UP:]
    watch = _Stopwatch()
    report = IngestReport()
    for first in range(0, len(measured), CHUNK):
        chunk = _write_jsonl(workdir / f"chunk{first}.jsonl", measured[first : first + CHUNK])
        watch.restart()
        for page in measured[first : first + CHUNK]:
            summarize(page, sentences=3)
        watch.stop("alone")
        part = await ingest_paths_or_urls(db, [str(chunk)], settings, progress=False)
        watch.stop("ingest")
        for status in ("added", "merged", "duplicate", "rejected"):
            setattr(report, status, getattr(report, status) + getattr(part, status))
    await db.close()
    print(f"  ingest: {report}", file=sys.stderr)
    return {"count": len(measured), **watch.totals}


CHUNK = 500


def _write_jsonl(path: Path, pages: list[str]) -> Path:
    lines = (
        json.dumps({"text": page, "url": f"https://outlet.example/{path.stem}/{n}"})
        for n, page in enumerate(pages)
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class _Stopwatch:
    """Wall and CPU seconds (all threads: the SQLite worker's too), summed per label; the
    CPU total is under the label + "_cpu"."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.restart()

    def restart(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self, label: str) -> None:
        self.totals[label] += time.perf_counter() - self.wall
        self.totals[f"{label}_cpu"] += time.process_time() - self.cpu
        self.restart()


def build_archive(path: Path, pool: list[str], count: int, rng: random.Random) -> float:
    """Write `count` articles straight into the tables (FTS index, bands and all), 10,000 per
    transaction; seconds taken."""
    asyncio.run(_migrate(path))
    lemmas_of = {sentence: articles.index_lemmas(sentence) for sentence in pool}
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")  # a scratch file: no need to survive a power cut
    conn.execute("PRAGMA cache_size=-262144")
    conn.executemany("INSERT INTO topics (slug, name) VALUES (?, ?)", [(t, t) for t in TOPICS])
    for first in range(1, count + 1, 10_000):
        conn.execute("BEGIN")
        _write_chunk(conn, range(first, min(first + 10_000, count + 1)), pool, lemmas_of, rng)
        conn.execute("COMMIT")
    conn.execute("INSERT INTO article_search(article_search) VALUES ('optimize')")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - started


TOPICS = ["politics", "economy", "society", "technology", "science", "sport", "culture"]


def _write_chunk(conn, ids: range, pool, lemmas_of: dict[str, str], rng: random.Random) -> None:
    from bot.ingest import dedup

    start = datetime(2024, 1, 1)
    rows, summaries, tags, sources, bands = [], [], [], [], []
    for article_id in ids:
        title = rng.choice(pool)[:100]
        body = rng.sample(pool, rng.randint(5, 10))
        moment = start + timedelta(minutes=article_id)
        url = f"https://news.example/{article_id}"
        signature = rng.randbytes(dedup.NUM_PERM * 4)
        text_lemmas = " ".join(lemmas_of[sentence] for sentence in body)
        text = "\n".join(body)
        title_lemmas = articles.index_lemmas(title)
        content_hash = f"{article_id:064x}"
        rows.append(
            (article_id, url, title, body[0], text, content_hash, signature, moment, moment)
        )
        rows[-1] += (title_lemmas, text_lemmas)
        summaries.append((article_id, articles.SUMMARY_METHOD, "\n".join(body[:3])))
        tags.append((article_id, rng.choice(TOPICS), 0))
        sources.append((article_id, url, "Example", moment))
        bands.extend((band, article_id) for band in dedup.bands(signature))
    conn.executemany(
        "INSERT INTO articles (id, url, title, lead, body, content_hash, fingerprint,"
        " published_at, ingested_at, title_lemmas, text_lemmas)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany("INSERT INTO summaries VALUES (?, ?, ?)", summaries)
    conn.executemany("INSERT INTO article_topics VALUES (?, ?, ?)", tags)
    conn.executemany(
        "INSERT INTO article_sources (article_id, url, name, seen_at) VALUES (?, ?, ?, ?)",
        sources,
    )
    conn.executemany("INSERT INTO article_bands (band, article_id) VALUES (?, ?)", bands)


async def _migrate(path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    await db.close()


QUERIES: dict[str, Callable] = {
    f"latest, topic {TOPIC}": lambda conn: articles.latest(conn, topics=[TOPIC]),
    f"latest, keyword {KEYWORD!r}": lambda conn: articles.latest(conn, keywords=[KEYWORD]),
    f"search {KEYWORD!r} (ranked)": lambda conn: articles.search(conn, KEYWORD),
    "latest, all": lambda conn: articles.latest(conn),
}


async def bench_queries(path: Path) -> dict[str, float]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    medians = {}
    async with db.read() as conn:
        for name, query in QUERIES.items():
            medians[name] = await _median_ms(lambda query=query: query(conn))
    await db.close()
    return medians


async def _median_ms(run: Callable[[], Awaitable[object]]) -> float:
    await run()
    timings = []
    for _ in range(QUERY_RUNS):
        started = time.perf_counter()
        found = await run()
        timings.append((time.perf_counter() - started) * 1000)
    assert found, "a benchmark query found nothing"
    return statistics.median(timings)


async def hold_open(path: Path) -> None:
    """The probe run in a child process: open the archive and query it, report the memory;
    then ingest a few articles too (as the bot's feed poller does), report it again."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.read() as conn:
        for query in QUERIES.values():
            for _ in range(20):
                await query(conn)
    querying = _rss_mb()
    from bot.ingest.document import Document
    from bot.ingest.pipeline import ingest_documents

    pool, _ = sentence_pool()
    pages = generate(pool, 20, random.Random(7))
    await ingest_documents(db, [Document(page) for page in pages])
    await db.close()
    print(querying, _rss_mb())


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        kilobytes = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kilobytes / 1024


def rss_of_open_archive(path: Path) -> tuple[float, float]:
    probe = subprocess.run(
        [sys.executable, __file__, "--hold-open", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    querying, ingesting = probe.stdout.split()
    return float(querying), float(ingesting)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest", type=int, default=10_000, help="articles to ingest")
    parser.add_argument("--archive", type=int, default=100_000, help="articles to query")
    parser.add_argument("--hold-open", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hold_open:
        asyncio.run(hold_open(args.hold_open))
        return
    rng = random.Random(20240501)
    pool, source = sentence_pool()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pages = generate(pool, args.ingest + WARM_UP, rng)
        mean_chars = statistics.mean(len(page) for page in pages)
        print(
            f"ingesting {args.ingest} articles ({mean_chars:.0f} chars on average, "
            f"sentences from {source})...",
            file=sys.stderr,
        )
        ingest = asyncio.run(bench_ingest(pages, workdir))
        print(f"writing an archive of {args.archive} articles...", file=sys.stderr)
        archive = workdir / "archive.db"
        build_seconds = build_archive(archive, pool, args.archive, rng)
        medians = asyncio.run(bench_queries(archive))
        rss, rss_ingesting = rss_of_open_archive(archive)
        size_mb = os.path.getsize(archive) / 2**20

    rate = ingest["count"] / ingest["ingest"]
    ratio = ingest["ingest"] / ingest["alone"]
    size = f"{args.archive // 1000}k"
    rows = [
        ("summarize alone (baseline)", ingest["count"] / ingest["alone"], "articles/s", "", None),
        ("ingest, full pipeline on SQLite", rate, "articles/s", ">= 100", rate >= TARGET_RATE),
        ("ingest time / summarize time", ratio, "x", f"<= {TARGET_RATIO}", ratio <= TARGET_RATIO),
        ("same, in CPU time", ingest["ingest_cpu"] / ingest["alone_cpu"], "x", "", None),
        *(
            (f"{name}, {size}", ms, "ms median", "< 10", ms < TARGET_QUERY_MS)
            for name, ms in medians.items()
        ),
        ("RSS of a process querying it", rss, "MB", "< 200", rss < TARGET_RSS_MB),
        ("RSS of a process querying + ingesting", rss_ingesting, "MB", "< 200", None),
        (f"database size, {size} articles", size_mb, "MB", "", None),
        (f"bulk write of {size} articles", build_seconds, "s", "", None),
    ]
    print_targets(rows)


if __name__ == "__main__":
    main()
