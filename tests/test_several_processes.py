"""Several real `svodka run` processes on one PostgreSQL database, against the local Bot API
server: two `--role bot --webhook` instances behind a round-robin proxy written here, two
`--role worker` processes, and a broadcast with `kill -9` of the sending worker in the middle.

What is checked, counted at the server: every update (including a redelivered one) is answered
once; every chat gets the broadcast, duplicates only for messages in flight at the kill; no
second holds more messages than the cap; the killed worker's claimed rows are sent within
15 s of the kill; a feed served here is fetched once per interval. Runs once (PostgreSQL only),
bounded in time, and kills only the processes it started.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, insert, select

from bot.delivery.outbox import Outbox, article_item
from bot.storage import articles, sources
from bot.storage.database import Database
from bot.storage.schema import chats, deliveries, utcnow
from localapi import LocalBotAPI, RateLimits
from tests.support.cluster import Processes, RoundRobin, free_port, sending_worker, site
from tests.support.databases import own_postgres_database, require_postgres, sample_article

pytestmark = pytest.mark.processes  # starts real svodka processes

REPO = Path(__file__).resolve().parents[1]
TOKEN = "123456:TEST"
SECRET = "several-processes"
CAP = 100  # messages per second: the server's limit and the workers' SVODKA_DELIVERY_RATE
CONCURRENCY = 8
CHATS = 600
USERS = 20
KILL_AFTER = 150  # broadcast messages received before the kill
FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Лента</title>
<link>http://127.0.0.1/</link><description>d</description></channel></rss>"""


@pytest.fixture
async def database() -> Database:
    """A database of its own (the processes connect by URL, so no schema trick)."""
    require_postgres()
    async with own_postgres_database(f"svodka_processes_{os.getpid()}") as db:
        yield db


def process_env(db: Database, api: LocalBotAPI) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN" and not k.startswith("SVODKA_")}
    return {
        **env,
        "BOT_TOKEN": TOKEN,
        "SVODKA_DATABASE_URL": db.url.render_as_string(hide_password=False),
        "SVODKA_TELEGRAM_API": api.base_url,
        "SVODKA_DELIVERY_RATE": str(CAP),
        "SVODKA_DELIVERY_GROUP_RATE": "600",
        "SVODKA_DELIVERY_CONCURRENCY": str(CONCURRENCY),
        "SVODKA_DELIVERY_POLL": "0.2",
        "SVODKA_INGEST_WORKERS": "1",
        "SVODKA_LISTEN": "127.0.0.1:0",
        "SVODKA_ALLOW_PRIVATE_URLS": "true",  # the feed is served on 127.0.0.1
    }


async def prepare_broadcast(db: Database) -> int:
    async with db.transaction() as conn:
        await articles.ensure_topics(conn, ["economy"])
    async with db.transaction() as conn:
        article = await articles.insert(conn, sample_article("Срочно", "Текст новости.", key=1))
        await conn.execute(
            insert(chats), [{"id": chat, "kind": "private"} for chat in range(1, CHATS + 1)]
        )
    return article


async def rows_sent(db: Database, ids: list[int] | None = None) -> int:
    query = select(func.count()).select_from(deliveries).where(deliveries.c.state == "sent")
    if ids is not None:
        query = query.where(deliveries.c.id.in_(ids))
    async with db.read() as conn:
        return await conn.scalar(query)


async def wait_until(condition, *, within: float, step: float = 0.05) -> float:
    """Seconds until `condition()` held; fails after `within`."""
    started = time.monotonic()
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110 (state in other processes)
            await asyncio.sleep(step)
    return time.monotonic() - started


async def test_bots_behind_a_proxy_and_workers_with_a_kill_9(database, tmp_path):
    feed_hits: list[float] = []

    async def feed(request: web.Request) -> web.Response:
        feed_hits.append(time.monotonic())
        return web.Response(text=FEED, content_type="application/rss+xml")

    feed_app = web.Application()
    feed_app.router.add_get("/feed.xml", feed)
    ports = [free_port() for _ in range(2)]
    proxy = RoundRobin([f"http://127.0.0.1:{port}" for port in ports])
    async with (
        LocalBotAPI(limits=RateLimits.bot_only(CAP)) as api,
        site(proxy.app("/hook")) as proxy_url,
        site(feed_app) as feed_url,
    ):
        async with database.transaction() as conn:
            await sources.add_feed(conn, f"{feed_url}/feed.xml", poll_interval=60)
        processes = Processes(tmp_path, process_env(database, api), cwd=REPO)
        try:
            bots = [
                await processes.start(
                    f"bot{n}",
                    "--role",
                    "bot",
                    "--webhook",
                    SVODKA_LISTEN=f"127.0.0.1:{port}",
                    SVODKA_WEBHOOK_URL=f"{proxy_url}/hook",
                    SVODKA_WEBHOOK_SECRET=SECRET,
                )
                for n, port in enumerate(ports)
            ]
            workers_started = [
                await processes.start(f"worker{n}", "--role", "worker") for n in range(2)
            ]
            await api.wait_for("setWebhook", count=2, timeout=90)
            for process in bots:
                await processes.wait_logged(process, "listening on")
            for process in workers_started:
                await processes.wait_logged(process, "listening on")

            # Updates, each answered once across the two instances, a redelivery included.
            users = [{"id": 5000 + n, "is_bot": False, "first_name": f"U{n}"} for n in range(USERS)]
            sent = [api.inject_message("/start", user=user) for user in users]
            for update in sent[:5]:
                api.inject(update)  # Telegram posts the same update again
            for user in users:
                await api.wait_sent(user["id"], timeout=60)
            await asyncio.sleep(2)  # a second answer to anyone would have come by now
            answers = Counter(
                m["chat"]["id"] for m in api.sent_messages() if m["chat"]["id"] >= 5000
            )

            # The broadcast, and kill -9 of the worker that is sending.
            article = await prepare_broadcast(database)
            item = article_item(article)
            await Outbox(database, utcnow).enqueue(
                [{"chat_id": c, "item": item, "article_id": article} for c in range(1, CHATS + 1)]
            )

            async def broadcast_received() -> bool:
                return sum(1 for m in api.sent_messages() if m["chat"]["id"] <= CHATS) >= KILL_AFTER

            await wait_until(broadcast_received, within=60)
            sender_pid, claimed = await sending_worker(database)
            [victim] = [p for p in workers_started if p.pid == sender_pid]
            victim.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            await victim.wait()
            at_kill = Counter(
                m["chat"]["id"] for m in api.sent_messages() if m["chat"]["id"] <= CHATS
            )
            marked_at_kill = await rows_sent(database)

            async def claimed_sent() -> bool:
                return await rows_sent(database, claimed) == len(claimed)

            await wait_until(claimed_sent, within=15)
            recovered_in = time.monotonic() - killed_at

            async def all_sent() -> bool:
                return await rows_sent(database) == CHATS

            await wait_until(all_sent, within=60)
            await asyncio.sleep(1)
            [survivor] = [p for p in workers_started if p is not victim]
            took_over = "this worker is the sender now" in processes.log(survivor)
        finally:
            await processes.stop_all()
        feed_ended = time.monotonic()

    received = Counter(m["chat"]["id"] for m in api.sent_messages() if m["chat"]["id"] <= CHATS)
    in_flight = sum(at_kill.values()) - marked_at_kill
    twice = [chat for chat, times in received.items() if times > 1]
    broadcast_calls = [c.at for c in api.calls_to("sendMessage") if c.ok]
    first = min(broadcast_calls)
    per_second = Counter(int(at - first) for at in broadcast_calls)
    print(
        f"\n{CHATS} chats, cap {CAP}/s: {len(claimed)} rows claimed by the killed sender, sent "
        f"{recovered_in:.1f} s after the kill; {in_flight} in flight, {len(twice)} twice; "
        f"busiest second {max(per_second.values())}; proxy {dict(proxy.served)}; "
        f"feed fetched {len(feed_hits)} times"
    )
    assert answers == Counter({user["id"]: 1 for user in users})
    assert len(proxy.served) == 2  # both instances took updates
    assert set(received) == set(range(1, CHATS + 1))
    assert len(twice) <= in_flight <= CONCURRENCY
    assert max(per_second.values()) <= CAP
    assert api.throttled == 0
    assert claimed and recovered_in <= 15
    assert took_over
    interval = 60
    assert 1 <= len(feed_hits) <= 1 + int((feed_ended - feed_hits[0]) // interval)
