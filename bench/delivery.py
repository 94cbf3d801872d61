"""Delivery benchmark (`make bench`): a broadcast at the rate limit, and enqueueing a digest
for a large audience.

    python bench/delivery.py [--chats 2000] [--rate 300] [--subscribers 100000]

Broadcast: the local Bot API server (localapi) runs in a process of its own and enforces a
bot-wide limit of --rate messages/s with 429s; the delivery worker runs here with its limiter
at the same rate (8 messages in flight) and sends one article to --chats chats from a SQLite
outbox. Throughput is
counted by the server between the first and the last message; RSS growth is this process's
resident memory during the broadcast over what it was just before (after a warm-up broadcast
to 50 other chats). Baseline: the same messages sent by a plain `asyncio.gather` (8 at a time,
no limiter), the way many bots broadcast.

Digest: --subscribers chats with a daily digest due now, each subscribed to 1-3 of the
topics (one in ten also to a keyword), 300 articles from the last day; the time of one
`enqueue_due_digests` run on SQLite. Baseline: one archive query per chat
(`articles.latest` with the chat's topics and keywords), timed on 2,000 chats and scaled.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import print_targets  # noqa: E402  (bench/ is on sys.path)
from sqlalchemy import insert, select, update  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.delivery.digests import enqueue_due_digests  # noqa: E402
from bot.delivery.outbox import Outbox, article_item  # noqa: E402
from bot.delivery.worker import run_delivery  # noqa: E402
from bot.storage import Database, articles, upgrade  # noqa: E402
from bot.storage.schema import articles as articles_table  # noqa: E402
from bot.storage.schema import chats, deliveries, subscriptions  # noqa: E402
from localapi import LocalBotAPI, RateLimits, make_bot  # noqa: E402
from tests.support.databases import sample_article  # noqa: E402

WARM_UP_CHATS = 50
WARM_UP_BASE = 10_000_000  # chat ids of the warm-up broadcast
BASELINE_BASE = 20_000_000  # chat ids of the naive broadcast
BASELINE_CONCURRENCY = 8
NAIVE_SAMPLE = 2000
DIGEST_ARTICLES = 300
KEYWORDS = ("рубль", "выборы", "погода", "нефть")
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 09:00 in Moscow

TARGET_SHARE = 0.9
TARGET_RSS_MB = 20.0
TARGET_DIGEST_S = 5.0


# --- the server, in its own process ---------------------------------------------------------


def serve(rate: int | None, pipe) -> None:
    asyncio.run(_serve(rate, pipe))


async def _serve(rate: int | None, pipe) -> None:
    limits = RateLimits.bot_only(rate) if rate else None
    async with LocalBotAPI(limits=limits) as api:
        pipe.send(api.base_url)
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        sent = [(call.chat_id, call.at) for call in api.calls_to("sendMessage") if call.ok]
        pipe.send({"sent": sent, "throttled": api.throttled})


class Server:
    """The local Bot API server in a child process; `stats()` stops it."""

    def __init__(self, rate: int | None) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=serve, args=(rate, child), daemon=True)

    def __enter__(self) -> Server:
        self.process.start()
        self.base_url = self.pipe.recv()
        return self

    def stats(self) -> dict:
        self.pipe.send("stop")
        return self.pipe.recv()

    def __exit__(self, *exc_info) -> None:
        self.process.join(timeout=5)


def throughput(sent: list[tuple[int, float]], chat_ids: range) -> float:
    moments = sorted(at for chat, at in sent if chat in chat_ids)
    return (len(moments) - 1) / (moments[-1] - moments[0])


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


# --- broadcast ------------------------------------------------------------------------------


async def add_chats(db: Database, ids: range) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            insert(chats), [{"id": chat, "kind": "private", "instant": True} for chat in ids]
        )


async def broadcast(db: Database, bot, settings: Settings, article: int, ids: range) -> float:
    """Send the article to the chats through the delivery worker; peak RSS growth in MB."""
    item = article_item(article)
    await Outbox(db, lambda: NOW).enqueue(
        [{"chat_id": chat, "item": item, "article_id": article} for chat in ids]
    )
    stop = asyncio.Event()
    before = peak = rss_mb()
    worker = asyncio.create_task(run_delivery(db, bot, settings, stop))
    while True:
        await asyncio.sleep(0.1)
        peak = max(peak, rss_mb())
        async with db.read() as conn:
            pending = await conn.scalar(
                select(deliveries.c.id).where(deliveries.c.state == "pending").limit(1)
            )
        if pending is None:
            break
    stop.set()
    await worker
    return peak - before


async def bench_broadcast(workdir: Path, count: int, rate: int) -> dict:
    settings = Settings(
        _env_file=None,
        delivery_rate=rate,
        # In flight at once: rate x (round trip + commit). The default 4 covers 30/s over a
        # real network; 300/s on a busy machine needs a few more.
        delivery_concurrency=8,
        delivery_poll=0.05,
        push_scan_interval=3600,
        digest_check_interval=3600,
    )
    db = Database(f"sqlite+aiosqlite:///{workdir / 'broadcast.db'}")
    await upgrade(db)
    [article] = await store_articles(db, 1, random.Random(1))
    main_chats = range(1, count + 1)
    warm_up_chats = range(WARM_UP_BASE, WARM_UP_BASE + WARM_UP_CHATS)
    await add_chats(db, main_chats)
    await add_chats(db, warm_up_chats)
    with Server(rate) as server:
        bot = make_bot(server.base_url)
        try:
            await broadcast(db, bot, settings, article, warm_up_chats)
            # the warm-up row is sent; the broadcast proper is a second item to other chats
            async with db.transaction() as conn:
                await conn.execute(update(deliveries).values(item="warm-up"))
            growth = await broadcast(db, bot, settings, article, main_chats)
        finally:
            await bot.session.close()
            await db.close()
        stats = server.stats()
    return {
        "rate": throughput(stats["sent"], main_chats),
        "throttled": stats["throttled"],
        "rss": growth,
    }


async def bench_naive(count: int, rate: int) -> dict:
    from aiogram.exceptions import TelegramRetryAfter

    with Server(rate) as server:
        bot = make_bot(server.base_url)
        gate = asyncio.Semaphore(BASELINE_CONCURRENCY)
        refused = 0

        async def send(chat: int) -> None:
            nonlocal refused
            async with gate:
                try:
                    await bot.send_message(chat, "Новость", parse_mode=None)
                except TelegramRetryAfter:
                    refused += 1

        ids = range(BASELINE_BASE, BASELINE_BASE + count)
        try:
            await asyncio.gather(*(send(chat) for chat in ids))
        finally:
            await bot.session.close()
        stats = server.stats()
    return {"rate": throughput(stats["sent"], ids), "throttled": refused}


# --- digest ---------------------------------------------------------------------------------


async def store_articles(db: Database, count: int, rng: random.Random) -> list[int]:
    from summarizer.topics import TOPICS

    ids = []
    async with db.transaction() as conn:
        for serial in range(count):
            keyword = rng.choice(KEYWORDS)
            title = f"Новость {serial}: {keyword} и другие события"
            text = f"Главное о теме «{keyword}» за день. Подробности и комментарии экспертов."
            new = sample_article(
                title,
                text,
                key=f"bench-{serial}",
                url=f"https://example.ru/{serial}",
                topics=tuple(topic.slug for topic in rng.sample(TOPICS, 2)),
            )
            article_id = await articles.insert(conn, new)
            ingested = NOW - timedelta(hours=23) + timedelta(seconds=serial * 200)
            await conn.execute(
                update(articles_table)
                .where(articles_table.c.id == article_id)
                .values(ingested_at=ingested)
            )
            ids.append(article_id)
    return ids


async def add_subscribers(db: Database, count: int, rng: random.Random) -> None:
    from summarizer.topics import TOPICS

    slugs = [topic.slug for topic in TOPICS]
    chat_rows, subscription_rows = [], []
    for chat in range(1, count + 1):
        chat_rows.append({"id": chat, "kind": "private", "digest_time": "09:00"})
        for slug in rng.sample(slugs, rng.randint(1, 3)):
            subscription_rows.append(
                {"chat_id": chat, "kind": "topic", "value": slug, "label": slug}
            )
        if chat % 10 == 0:
            word = rng.choice(KEYWORDS)
            value = articles.index_lemmas(word)
            subscription_rows.append(
                {"chat_id": chat, "kind": "keyword", "value": value, "label": word}
            )
    async with db.transaction() as conn:
        await conn.execute(insert(chats), chat_rows)
        await conn.execute(insert(subscriptions), subscription_rows)


async def bench_digest(workdir: Path, count: int) -> dict:
    rng = random.Random(20261126)
    db = Database(f"sqlite+aiosqlite:///{workdir / 'digest.db'}")
    try:
        await upgrade(db)
        await store_articles(db, DIGEST_ARTICLES, rng)
        await add_subscribers(db, count, rng)
        settings = Settings(_env_file=None)
        naive = await naive_digest_seconds(db, min(NAIVE_SAMPLE, count)) * count / NAIVE_SAMPLE
        started = time.perf_counter()
        enqueued = await enqueue_due_digests(db, settings, NOW)
        seconds = time.perf_counter() - started
    finally:
        await db.close()
    return {"seconds": seconds, "enqueued": enqueued, "naive": naive}


async def naive_digest_seconds(db: Database, sample: int) -> float:
    async with db.read() as conn:
        rows = await conn.execute(
            select(subscriptions.c.chat_id, subscriptions.c.kind, subscriptions.c.label).where(
                subscriptions.c.chat_id <= sample
            )
        )
        wanted: dict[int, tuple[list[str], list[str]]] = {}
        for chat, kind, label in rows:
            topics, keywords = wanted.setdefault(chat, ([], []))
            (topics if kind == "topic" else keywords).append(label)
        started = time.perf_counter()
        for topics, keywords in wanted.values():
            await articles.latest(conn, topics=topics, keywords=keywords, limit=20)
        return time.perf_counter() - started


# --- report ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--subscribers", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print(f"broadcast to {args.chats} chats at {args.rate}/s...", file=sys.stderr)
        naive = asyncio.run(bench_naive(args.chats, args.rate))
        sent = asyncio.run(bench_broadcast(workdir, args.chats, args.rate))
        print(f"digest for {args.subscribers} subscribers...", file=sys.stderr)
        digest = asyncio.run(bench_digest(workdir, args.subscribers))

    share = sent["rate"] / args.rate
    subscribers = f"{args.subscribers // 1000}k"
    rows = [
        ("naive gather, no limiter (baseline)", naive["rate"], "msg/s", "", None),
        ("naive gather: 429s received", naive["throttled"], "", "", None),
        (f"broadcast to {args.chats} chats", sent["rate"], "msg/s", "", None),
        (f"share of the {args.rate}/s limit", 100 * share, "%", ">= 90", share >= TARGET_SHARE),
        ("429s received", sent["throttled"], "", "0", sent["throttled"] == 0),
        ("RSS growth during the broadcast", sent["rss"], "MB", "< 20", sent["rss"] < TARGET_RSS_MB),
        (f"naive digest queries, {subscribers} (baseline)", digest["naive"], "s", "", None),
        (
            f"enqueue digests, {subscribers} on SQLite",
            digest["seconds"],
            "s",
            "< 5",
            digest["seconds"] < TARGET_DIGEST_S,
        ),
        ("digests enqueued", digest["enqueued"], "", "", None),
    ]
    print_targets(rows)


if __name__ == "__main__":
    main()
