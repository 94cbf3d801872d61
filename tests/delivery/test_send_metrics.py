"""What the sender reports to /metrics: each sendMessage by outcome, 429 waits in seconds."""

from __future__ import annotations

from prometheus_client import REGISTRY

from bot.delivery.outbox import article_item
from localapi import Fault
from tests.delivery.test_sender import deliver_until, enqueue_push, settled_all

OUTCOMES = ("ok", "429", "403", "4xx", "5xx", "network")


def sends() -> dict[str, float]:
    return {
        outcome: REGISTRY.get_sample_value(
            "svodka_sends_total", {"role": "all", "outcome": outcome}
        )
        or 0.0
        for outcome in OUTCOMES
    }


def waited() -> float:
    return REGISTRY.get_sample_value("svodka_retry_after_seconds_total", {"role": "all"}) or 0.0


async def test_each_send_is_counted_by_outcome(sqlite_world, make_settings, bot_api, bot):
    article = await sqlite_world.article("Курс рубля вырос")
    for chat_id in (41, 42, 43):
        await sqlite_world.chat(chat_id)
        await enqueue_push(sqlite_world, chat_id, article)
    bot_api.fail(Fault.retry_after(1), chat_id=41)  # then sent
    bot_api.fail(Fault.server_error(502), chat_id=41)  # then sent
    bot_api.fail(Fault.dropped(), chat_id=41)  # then sent
    bot_api.fail(Fault.forbidden(), chat_id=42)  # the chat is deactivated
    bot_api.fail(Fault.bad_request("message is too long"), chat_id=43)  # failed at once
    before, waited_before = sends(), waited()
    items = [article_item(article)]
    done = [settled_all(sqlite_world, chat_id, items) for chat_id in (41, 42, 43)]

    async def all_settled() -> bool:
        return all([await check() for check in done])

    await deliver_until(sqlite_world, bot, make_settings(), all_settled, within=10)
    after = sends()
    delta = {outcome: after[outcome] - before[outcome] for outcome in OUTCOMES}
    assert delta == {"ok": 1, "429": 1, "403": 1, "4xx": 1, "5xx": 1, "network": 1}
    assert waited() - waited_before == 1
