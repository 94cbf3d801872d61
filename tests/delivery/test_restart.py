"""kill -9 in the middle of a broadcast, then a restart: every chat gets the item, and only a
message that was in flight at the kill (sent, not yet marked) can arrive twice.

The bot is a real `svodka run` process on a SQLite file, as a one-process deployment runs it;
the local Bot API server runs in the test and counts what each chat received.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.delivery.outbox import Outbox, article_item
from bot.storage.schema import deliveries, utcnow
from localapi import Fault

pytestmark = pytest.mark.processes  # starts real svodka processes

REPO = Path(__file__).resolve().parents[2]
CHATS = 200
KILL_AFTER = 60  # messages received before the kill


def received(bot_api) -> Counter[int]:
    return Counter(message["chat"]["id"] for message in bot_api.sent_messages())


async def sent_rows(db) -> int:
    async with db.read() as conn:
        return await conn.scalar(
            select(func.count()).select_from(deliveries).where(deliveries.c.state == "sent")
        )


async def start_worker(db, bot_api, concurrency: int) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOT_TOKEN": "123456:TEST",
        "SVODKA_DATABASE_URL": str(db.url),
        "SVODKA_TELEGRAM_API": bot_api.base_url,
        "SVODKA_DELIVERY_RATE": "100",
        "SVODKA_DELIVERY_CONCURRENCY": str(concurrency),
        # A silent worker is taken for dead only after 2 minutes: the killed worker's claims
        # must come back because on SQLite a starting worker knows it is the only one.
        "SVODKA_WORKER_TIMEOUT": "120",
        "SVODKA_DELIVERY_POLL": "0.05",
        "SVODKA_LISTEN": "off",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def wait_until(condition, *, within: float) -> None:
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110 (watching another process)
            await asyncio.sleep(0.005)


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_kill_9_mid_broadcast_then_restart(sqlite_world, bot_api, concurrency):
    article = await sqlite_world.article("Срочная новость")
    for chat_id in range(1, CHATS + 1):
        await sqlite_world.chat(chat_id)
    item = article_item(article)
    rows = [{"chat_id": chat, "item": item, "article_id": article} for chat in range(1, CHATS + 1)]
    await Outbox(sqlite_world.db, utcnow).enqueue(rows)
    # Answers take 50 ms, as over a real network: messages are in flight when the kill comes.
    bot_api.fail(Fault.slow(0.05), times=None)

    first = await start_worker(sqlite_world.db, bot_api, concurrency)

    async def enough_received() -> bool:
        return len(bot_api.sent_messages()) >= KILL_AFTER

    await wait_until(enough_received, within=60)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    at_kill = received(bot_api)
    marked_at_kill = await sent_rows(sqlite_world.db)
    in_flight = sum(at_kill.values()) - marked_at_kill  # received, but not marked sent

    second = await start_worker(sqlite_world.db, bot_api, concurrency)

    async def all_marked() -> bool:
        return await sent_rows(sqlite_world.db) == CHATS

    try:
        await wait_until(all_marked, within=60)  # the rest takes 1.4 s at 100/s
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()

    counts = received(bot_api)
    twice = sorted(chat for chat, times in counts.items() if times > 1)
    print(
        f"\nconcurrency {concurrency}: {sum(at_kill.values())} received before kill -9, "
        f"{marked_at_kill} marked sent, {in_flight} in flight; after restart "
        f"{len(counts)}/{CHATS} chats got it, {len(twice)} twice, "
        f"{sum(counts.values())} messages in all"
    )
    assert set(counts) == set(range(1, CHATS + 1))
    assert max(counts.values()) <= 2
    assert len(twice) == in_flight <= concurrency
    assert second.returncode == 0  # SIGTERM is a clean stop
