"""Scale benchmark (`make bench`): several real `svodka run` processes on one PostgreSQL
database, against the local Bot API server (localapi) in this process.

    python bench/scale.py [--chats 1000] [--cap 100] [--articles 100000] [--rounds 3]

1. Broadcast to --chats chats with one `--role worker` and with two, the server capping the
   whole bot at --cap messages/s (429 above it) and the workers set to the same rate: messages
   per second between the first and the last (counted at the server), the busiest second.
2. `kill -9` of the sending worker once 20% of a broadcast is out: seconds until every row it
   had claimed is sent (by the other worker), median of --rounds.
3. /latest over a PostgreSQL archive of --articles articles, through `--role bot --webhook`
   instances behind a round-robin proxy: throughput with one and with two instances (500
   users at once), and the latency (from the update queued to the reply received) of one
   instance at 100 requests per second spread evenly over 10 s. Baseline in the same run: the
   same at 10 requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from archive import TOPICS, sentence_pool  # noqa: E402
from report import percentile, print_targets  # noqa: E402
from sqlalchemy import delete, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.delivery.outbox import Outbox, article_item  # noqa: E402
from bot.storage import articles  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.storage.schema import chats, deliveries, processed_updates, utcnow  # noqa: E402
from localapi import LocalBotAPI, RateLimits, user  # noqa: E402
from tests.support.cluster import (  # noqa: E402
    Processes,
    RoundRobin,
    free_port,
    sending_worker,
    site,
)
from tests.support.databases import postgres_url, sample_article  # noqa: E402

TOKEN = "123456:BENCH"
SECRET = "bench-scale"
CONCURRENCY = 8
BURST_USERS = 500
SPREAD_SECONDS = 10
TARGET_SHARE = 0.9
TARGET_RECOVERY_S = 15.0
TARGET_P95_MS = 50.0


async def fresh_database(name: str) -> Database:
    admin = Database(postgres_url(), isolation_level="AUTOCOMMIT")
    async with admin.engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.close()
    db = Database(make_url(postgres_url()).set(database=name).render_as_string(False))
    await upgrade(db)
    return db


async def drop_database(name: str) -> None:
    admin = Database(postgres_url(), isolation_level="AUTOCOMMIT")
    async with admin.engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.close()


def environment(db: Database, api: LocalBotAPI, cap: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN" and not k.startswith("SVODKA_")}
    return env | {
        "BOT_TOKEN": TOKEN,
        "SVODKA_DATABASE_URL": db.url.render_as_string(hide_password=False),
        "SVODKA_TELEGRAM_API": api.base_url,
        "SVODKA_DELIVERY_RATE": str(cap),
        "SVODKA_DELIVERY_GROUP_RATE": "600",
        "SVODKA_DELIVERY_CONCURRENCY": str(CONCURRENCY),
        "SVODKA_DELIVERY_POLL": "0.2",
        "SVODKA_INGEST_WORKERS": "1",
        "SVODKA_LISTEN": "127.0.0.1:0",
    }


# --- delivery --------------------------------------------------------------------------------


async def add_chats(db: Database, count: int) -> int:
    """`count` private chats and an article to send them; the article's id."""
    async with db.transaction() as conn:
        await articles.ensure_topics(conn, ["economy"])
    async with db.transaction() as conn:
        article = await articles.insert(conn, sample_article("Срочно", "Текст.", key="scale"))
        await conn.execute(
            insert(chats), [{"id": c, "kind": "private"} for c in range(1, count + 1)]
        )
    return article


async def enqueue_broadcast(db: Database, article: int, count: int) -> None:
    async with db.transaction() as conn:
        await conn.execute(delete(deliveries))
    rows = [{"chat_id": c, "item": article_item(article), "article_id": article}
            for c in range(1, count + 1)]  # fmt: skip
    await Outbox(db, utcnow).enqueue(rows)


async def count_sent(db: Database, ids: list[int] | None = None) -> int:
    query = select(func.count()).select_from(deliveries).where(deliveries.c.state == "sent")
    if ids is not None:
        query = query.where(deliveries.c.id.in_(ids))
    async with db.read() as conn:
        return await conn.scalar(query)


async def wait_for(condition, within: float) -> None:
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110 (the state is in other processes)
            await asyncio.sleep(0.05)


async def start_workers(processes: Processes, count: int, phase: str) -> list:
    started = [
        await processes.start(f"{phase}-worker{n}", "--role", "worker") for n in range(count)
    ]
    for process in started:
        await processes.wait_logged(process, "listening on")

    async def elected() -> bool:
        return any("this worker is the sender now" in processes.log(p) for p in started)

    await wait_for(elected, within=60)
    return started


async def broadcast_rate(db, article: int, chats_count: int, cap: int, workdir: Path, n: int):
    """Messages/s and the busiest second of a broadcast sent by `n` workers."""
    async with LocalBotAPI(limits=RateLimits.bot_only(cap)) as api:
        processes = Processes(workdir, environment(db, api, cap), cwd=ROOT)
        try:
            await start_workers(processes, n, f"rate{n}")
            await enqueue_broadcast(db, article, chats_count)
            await wait_for(lambda: _all_sent(db, chats_count), within=chats_count / cap * 3 + 30)
        finally:
            await processes.stop_all()
        moments = sorted(call.at for call in api.calls_to("sendMessage") if call.ok)
        busiest = max(Counter(int(at - moments[0]) for at in moments).values())
        return (len(moments) - 1) / (moments[-1] - moments[0]), busiest, api.throttled


async def _all_sent(db: Database, count: int) -> bool:
    return await count_sent(db) == count


async def kill_recovery(db, article: int, chats_count: int, cap: int, workdir: Path) -> float:
    """Seconds from kill -9 of the sending worker to every row it had claimed being sent."""
    async with LocalBotAPI(limits=RateLimits.bot_only(cap)) as api:
        processes = Processes(workdir, environment(db, api, cap), cwd=ROOT)
        try:
            started = await start_workers(processes, 2, f"kill{time.monotonic_ns()}")
            await enqueue_broadcast(db, article, chats_count)
            await api.wait_for("sendMessage", count=chats_count // 5, timeout=120)
            pid, claimed = await sending_worker(db)
            [victim] = [process for process in started if process.pid == pid]
            victim.kill()
            killed = time.monotonic()

            async def claimed_sent() -> bool:
                return await count_sent(db, claimed) == len(claimed)

            await wait_for(claimed_sent, within=120)
            return time.monotonic() - killed
        finally:
            await processes.stop_all()


# --- /latest over a large archive --------------------------------------------------------------


async def build_archive(db: Database, count: int) -> float:
    """`count` articles (each its own story) written with COPY; seconds taken."""
    pool, _ = sentence_pool()
    rng = random.Random(7)
    lemmas_of = {sentence: articles.index_lemmas(sentence) for sentence in pool}
    started = time.perf_counter()
    start = datetime(2024, 1, 1)
    async with db.read() as conn:
        first = await articles.count(conn) + 1  # after the broadcast's article
    rows, summaries, tags, sources, stories = [], [], [], [], []
    for article_id in range(first, first + count):
        title = rng.choice(pool)[:100]
        body = rng.sample(pool, rng.randint(5, 10))
        moment = start + timedelta(minutes=article_id)
        url = f"https://news.example/{article_id}"
        rows.append((
            article_id, url, title, body[0], "\n".join(body), f"{article_id:064x}", moment,
            moment, articles.index_lemmas(title), " ".join(lemmas_of[s] for s in body),
            article_id,
        ))  # fmt: skip
        summaries.append((article_id, articles.SUMMARY_METHOD, "\n".join(body[:3])))
        tags.append((article_id, rng.choice(TOPICS), 0))
        sources.append((article_id, url, "Example", moment))
        stories.append((article_id, article_id, moment, moment, 1))
    async with db.transaction() as conn:
        await articles.ensure_topics(conn, TOPICS)
    async with db.transaction() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.copy_records_to_table("articles", records=rows, columns=[
            "id", "url", "title", "lead", "body", "content_hash", "published_at",
            "ingested_at", "title_lemmas", "text_lemmas", "story_id",
        ])  # fmt: skip
        await raw.copy_records_to_table("summaries", records=summaries)
        await raw.copy_records_to_table(
            "article_topics", records=tags, columns=["article_id", "topic", "rank"]
        )
        await raw.copy_records_to_table(
            "article_sources", records=sources, columns=["article_id", "url", "name", "seen_at"]
        )
        await raw.copy_records_to_table(
            "stories", records=stories,
            columns=["id", "representative_id", "first_at", "last_at", "size"],
        )  # fmt: skip
        await conn.execute(text("SELECT setval('articles_id_seq', :n)"), {"n": first + count})
    async with db.engine.connect() as conn:
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
            text("VACUUM ANALYZE")
        )
    return time.perf_counter() - started


async def latest_bench(db: Database, workdir: Path, instances: int) -> dict[str, float]:
    """/latest through `instances` webhook instances: throughput of a burst, and with one
    instance the latency at 10 and at 100 requests per second."""
    async with db.transaction() as conn:  # each run's local server numbers updates from 1
        await conn.execute(delete(processed_updates))
    ports = [free_port() for _ in range(instances)]
    proxy = RoundRobin([f"http://127.0.0.1:{port}" for port in ports])
    async with LocalBotAPI() as api, site(proxy.app("/hook")) as proxy_url:
        processes = Processes(workdir, environment(db, api, 30), cwd=ROOT)
        try:
            for n, port in enumerate(ports):
                await processes.start(
                    f"latest{instances}-bot{n}", "--role", "bot", "--webhook",
                    SVODKA_LISTEN=f"127.0.0.1:{port}",
                    SVODKA_WEBHOOK_URL=f"{proxy_url}/hook", SVODKA_WEBHOOK_SECRET=SECRET,
                )  # fmt: skip
            await api.wait_for("setWebhook", count=instances, timeout=120)
            for process in processes.started:
                await processes.wait_logged(process, "listening on")
            await spread(api, first_user=1, per_second=20, seconds=2)  # warm-up, not counted
            burst = await one_burst(api, first_user=100_000)
            result = {"throughput": BURST_USERS / (max(burst) / 1000)}
            if instances == 1:
                result["slow"] = await spread(api, 200_000, per_second=10, seconds=SPREAD_SECONDS)
                result["fast"] = await spread(api, 300_000, per_second=100, seconds=SPREAD_SECONDS)
        finally:
            await processes.stop_all()
    return result


async def one_burst(api: LocalBotAPI, first_user: int) -> list[float]:
    """BURST_USERS users send /latest at once; each one's latency, ms."""
    sent_at = {}
    for index in range(BURST_USERS):
        person = user(first_user + index, f"Читатель {index}")
        sent_at[person["id"]] = time.monotonic()
        api.inject_message("/latest", user=person)
    return await replies(api, sent_at)


async def spread(
    api: LocalBotAPI, first_user: int, *, per_second: int, seconds: int
) -> list[float]:
    """/latest from a new user every 1/per_second s for `seconds`; latencies, ms."""
    sent_at = {}
    started = time.monotonic()
    for index in range(per_second * seconds):
        await asyncio.sleep(max(0.0, started + index / per_second - time.monotonic()))
        person = user(first_user + index, f"Читатель {index}")
        sent_at[person["id"]] = time.monotonic()
        api.inject_message("/latest", user=person)
    return await replies(api, sent_at)


async def replies(api: LocalBotAPI, sent_at: dict[int, float]) -> list[float]:
    answered = await api.wait_for(
        lambda call: call.method == "sendMessage" and call.chat_id in sent_at,
        count=len(sent_at),
        timeout=300,
    )
    return [(call.at - sent_at[call.chat_id]) * 1000 for call in answered]


async def run(args: argparse.Namespace, workdir: Path) -> list:
    name = f"svodka_bench_scale_{os.getpid()}"
    db = await fresh_database(name)
    try:
        article = await add_chats(db, args.chats)
        print(f"broadcast to {args.chats} chats at {args.cap}/s...", file=sys.stderr)
        one = await broadcast_rate(db, article, args.chats, args.cap, workdir, 1)
        two = await broadcast_rate(db, article, args.chats, args.cap, workdir, 2)
        print(f"kill -9 of the sender, {args.rounds} times...", file=sys.stderr)
        recoveries = [
            await kill_recovery(db, article, args.chats, args.cap, workdir)
            for _ in range(args.rounds)
        ]
        print(f"archive of {args.articles} articles...", file=sys.stderr)
        built = await build_archive(db, args.articles)
        single = await latest_bench(db, workdir, 1)
        double = await latest_bench(db, workdir, 2)
    finally:
        await db.close()
        await drop_database(name)
    recovery = statistics.median(recoveries)
    slow, fast = single["slow"], single["fast"]
    articles_k = f"{args.articles // 1000}k"
    return [
        ("broadcast, 1 worker", one[0], "msg/s", f">= {TARGET_SHARE * args.cap:g}",
         one[0] >= TARGET_SHARE * args.cap),
        ("broadcast, 1 worker: busiest second", one[1], "msg", f"<= {args.cap}",
         one[1] <= args.cap),
        ("broadcast, 2 workers", two[0], "msg/s", f">= {TARGET_SHARE * args.cap:g}",
         two[0] >= TARGET_SHARE * args.cap),
        ("broadcast, 2 workers: busiest second", two[1], "msg", f"<= {args.cap}",
         two[1] <= args.cap),
        ("429s received (both runs)", one[2] + two[2], "", "0", one[2] + two[2] == 0),
        (f"kill -9 to claims sent, median of {args.rounds}", recovery, "s",
         f"< {TARGET_RECOVERY_S:g}", recovery < TARGET_RECOVERY_S),
        ("kill -9 to claims sent, slowest", max(recoveries), "s", "", None),
        (f"archive of {articles_k} written (COPY)", built, "s", "", None),
        (f"/latest burst, 1 bot instance, {articles_k}", single["throughput"], "req/s", "", None),
        (f"/latest burst, 2 bot instances, {articles_k}", double["throughput"], "req/s", "", None),
        ("/latest p95 at 10 req/s (baseline)", percentile(slow, 0.95), "ms", "", None),
        ("/latest p50 at 100 req/s, 1 instance", statistics.median(fast), "ms", "", None),
        ("/latest p95 at 100 req/s, 1 instance", percentile(fast, 0.95), "ms",
         f"< {TARGET_P95_MS:g}", percentile(fast, 0.95) < TARGET_P95_MS),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--cap", type=int, default=100)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(run(args, Path(tmp)))
    print_targets(rows)


if __name__ == "__main__":
    main()
