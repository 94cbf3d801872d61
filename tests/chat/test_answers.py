"""Answers that arrive: a 429 or a 5xx on an answer is retried within SVODKA_REPLY_DEADLINE,
an answer given up is counted, and the user's change is committed either way, before any
Telegram call (no answer waits inside a write transaction)."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.exceptions import TelegramRetryAfter
from prometheus_client import REGISTRY

from bot.answers import RetryAnswers
from bot.storage import chats
from localapi import DEFAULT_USER, Fault
from tests.chat.test_groups_and_channels import BOT_ID, CHANNEL

SUBSCRIBED = "Готово: тема «Экономика»"


async def topics(harness) -> list[str]:
    async with harness.db.read() as conn:
        return [sub.value for sub in await chats.list_subscriptions(conn, harness.user["id"])]


def given_up(reason: str) -> float:
    labels = {"role": "all", "reason": reason}
    return REGISTRY.get_sample_value("svodka_replies_failed_total", labels) or 0.0


def answer_calls(harness) -> list:
    chat_id = harness.user["id"]
    return [call for call in harness.api.calls_to("sendMessage") if call.chat_id == chat_id]


@pytest.mark.parametrize(
    ("fault", "times", "waited"),
    [
        (Fault.retry_after(1), 1, 1.0),
        (Fault.server_error(500), 2, 1.0 + 2.0),
        (Fault.dropped(), 2, 1.0 + 2.0),
    ],
    ids=["429", "500-twice", "dropped-twice"],
)
async def test_an_answer_that_meets_a_fault_is_sent_again(harness, fault, times, waited):
    harness.api.fail(fault, chat_id=harness.user["id"], times=times)
    # The first subscription is answered, then asked how to deliver (a second message).
    [reply, _asked] = await harness.say("/subscribe экономика", count=2)
    assert reply["text"].startswith(SUBSCRIBED)
    assert await topics(harness) == ["economy"]
    calls = answer_calls(harness)
    assert [call.ok for call in calls] == [False] * times + [True, True]  # dropped: status None
    assert calls[-2].at - calls[0].at >= waited - 0.05


@pytest.mark.parametrize(
    ("fault", "times", "reason"),
    [(Fault.retry_after(5), 1, "retry_after"), (Fault.server_error(502), 3, "server_error")],
    ids=["429-past-deadline", "5xx-three-times"],
)
async def test_an_answer_given_up_is_counted_and_the_change_is_kept(
    harness_with, fault, times, reason, caplog
):
    async with harness_with(reply_deadline=4.0) as harness:
        before = given_up(reason)
        harness.api.fail(fault, chat_id=harness.user["id"], times=times)
        harness.api.inject_message("/subscribe экономика", user=harness.user)
        await harness.api.wait_for(lambda call: call.method == "sendMessage", count=times)
        await asyncio.sleep(0.2)
        await harness.settle()
        assert given_up(reason) == before + 1
        assert await topics(harness) == ["economy"]
        assert not harness.api.sent_messages(harness.user["id"])  # nor «Что-то пошло не так»
        [line] = [record for record in caplog.records if "given up" in record.getMessage()]
        assert line.levelname == "WARNING" and f"({reason})" in line.getMessage()
        assert not [record for record in caplog.records if record.exc_info]  # one line


@pytest.mark.parametrize(
    ("text", "slow", "stored_in"),
    [("/subscribe экономика", "sendMessage", DEFAULT_USER["id"]),
     ("/channel add @zarechny_news спорт", "getChatMember", CHANNEL["id"])],
    ids=["answer", "channel-add-asks-telegram"],
)  # fmt: skip
async def test_no_write_lock_is_held_while_telegram_is_asked(harness, text, slow, stored_in):
    harness.api.add_chat(CHANNEL)
    harness.api.set_member(CHANNEL["id"], harness.user["id"], "creator")
    harness.api.set_member(CHANNEL["id"], BOT_ID, "administrator", can_post_messages=True)
    harness.api.fail(Fault.slow(3.0), method=slow)
    harness.api.inject_message(text, user=harness.user)
    await harness.api.wait_for(slow)  # asked; Telegram's reply is slow
    async with asyncio.timeout(1.0), harness.db.transaction() as conn:  # BEGIN IMMEDIATE
        await chats.list_subscriptions(conn, harness.user["id"])
    await harness.api.wait_sent(harness.user["id"], timeout=10)
    await harness.settle()
    async with harness.db.read() as conn:
        assert await chats.list_subscriptions(conn, stored_in)


async def test_calls_outside_an_update_are_not_retried(bot_api, bot):
    bot.session.middleware(RetryAnswers(30.0))
    bot_api.fail(Fault.retry_after(5))
    with pytest.raises(TelegramRetryAfter):  # the delivery sender handles its own 429s
        await bot.send_message(42, "рассылка")
