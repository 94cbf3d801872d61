"""Several workers on one PostgreSQL database: one sends, the others stand by, and a standby
takes over at once when the sender stops. Telegram's limits, counted at the server, hold for
all of them together."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.delivery.outbox import Outbox, article_item
from bot.delivery.worker import run_delivery
from bot.storage.schema import utcnow
from localapi import LocalBotAPI, RateLimits, make_bot

pytestmark = pytest.mark.e2e  # through a local Bot API server it starts itself

CHATS = 120
CAP = 40  # messages per second the server accepts; the workers are set to the same rate


def per_second(bot_api: LocalBotAPI) -> Counter[int]:
    sends = [call.at for call in bot_api.calls_to("sendMessage") if call.ok]
    start = min(sends)
    return Counter(int(at - start) for at in sends)


async def test_two_workers_send_as_one_within_the_cap_and_a_standby_takes_over(
    postgres_world, make_settings
):
    article = await postgres_world.article("Срочная новость")
    for chat in range(1, CHATS + 1):
        await postgres_world.chat(chat)
    item = article_item(article)
    rows = [{"chat_id": chat, "item": item, "article_id": article} for chat in range(1, CHATS + 1)]
    settings = make_settings(delivery_rate=CAP, delivery_chat_rate=1.0, delivery_group_rate=20.0)
    async with LocalBotAPI(limits=RateLimits.bot_only(CAP)) as bot_api:
        bots = [make_bot(bot_api.base_url) for _ in range(2)]
        stops = [asyncio.Event(), asyncio.Event()]
        first = asyncio.create_task(run_delivery(postgres_world.db, bots[0], settings, stops[0]))
        await asyncio.sleep(0.5)  # the first worker is the sender by now
        second = asyncio.create_task(run_delivery(postgres_world.db, bots[1], settings, stops[1]))
        try:
            await Outbox(postgres_world.db, utcnow).enqueue(rows)
            await bot_api.wait_for("sendMessage", count=CHATS // 3, timeout=30)
            stops[0].set()  # a clean stop of the sender mid-broadcast
            await asyncio.wait_for(first, 30)
            await bot_api.wait_for("sendMessage", count=CHATS, timeout=30)
            await asyncio.sleep(0.5)  # anything sent twice would have arrived by now
        finally:
            for stop in stops:
                stop.set()
            await asyncio.gather(first, second, return_exceptions=True)
            for bot in bots:
                await bot.session.close()
        received = Counter(message["chat"]["id"] for message in bot_api.sent_messages())
        assert received == Counter(range(1, CHATS + 1))  # each chat once
        assert bot_api.throttled == 0  # never a 429: the two never sent at once
        assert max(per_second(bot_api).values()) <= CAP
