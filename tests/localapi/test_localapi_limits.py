"""Telegram's flood limits in the local server: exact pacing passes, excess gets 429."""

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

from localapi import LocalBotAPI, RateLimits, make_bot
from localapi.limits import Limit, RateLimiter

BOT = 123456
GROUP = {"id": -555, "type": "group"}


def private(chat_id: int) -> dict:
    return {"id": chat_id, "type": "private"}


def rejected(limiter: RateLimiter, sends: list[tuple[float, dict]]) -> list[int]:
    """retry_after of each send at its time (0: accepted)."""
    return [limiter.acquire(BOT, chat, now) for now, chat in sends]


@pytest.mark.parametrize(
    "times",
    [
        pytest.param([i / 300 for i in range(2000)], id="evenly paced at the limit"),
        pytest.param([0.0] * 300 + [1 + i / 300 for i in range(600)], id="burst then paced"),
        pytest.param([float(i // 300) for i in range(1500)], id="300 at each whole second"),
    ],
)
def test_sending_at_the_bot_limit_is_never_refused(times: list[float]) -> None:
    limiter = RateLimiter(RateLimits.bot_only(300))
    assert not any(rejected(limiter, [(t, private(i)) for i, t in enumerate(times)]))


def test_sending_faster_than_the_bot_limit_is_refused() -> None:
    limiter = RateLimiter(RateLimits.bot_only(300))
    answers = rejected(limiter, [(i / 330, private(i)) for i in range(3300)])  # 10 s at 330/s
    accepted = answers.count(0)
    assert 3000 <= accepted <= 3000 + 300  # the rate over 10 s plus one burst
    assert limiter.rejected == len(answers) - accepted


@pytest.mark.parametrize(
    ("sends", "expected"),
    [
        pytest.param([(0.0, 1), (0.5, 1), (1.0, 1)], [0, 1, 0], id="one per second per chat"),
        pytest.param([(0.0, 1), (0.0, 2), (0.0, 3)], [0, 0, 0], id="chats are independent"),
        pytest.param([(0.0, 1), (0.99, 1)], [0, 0], id="jitter within slack"),
    ],
)
def test_private_chats_get_one_message_per_second(
    sends: list[tuple[float, int]], expected: list[int]
) -> None:
    limiter = RateLimiter(RateLimits())
    assert rejected(limiter, [(t, private(chat)) for t, chat in sends]) == expected


def test_groups_get_twenty_messages_per_minute() -> None:
    limiter = RateLimiter(RateLimits(per_bot=None, per_chat=None))
    assert rejected(limiter, [(0.0, GROUP)] * 20) == [0] * 20
    assert rejected(limiter, [(0.0, GROUP)]) == [3]  # one message every 3 s refills
    assert rejected(limiter, [(3.0, GROUP), (3.1, GROUP)]) == [0, 3]


def test_a_group_counts_against_the_per_chat_limit_too() -> None:
    limiter = RateLimiter(RateLimits(per_bot=Limit(30, 1.0)))
    assert rejected(limiter, [(0.0, GROUP), (0.1, GROUP)]) == [0, 1]


async def test_the_server_answers_429_over_the_limit_and_counts_them() -> None:
    async with LocalBotAPI(limits=RateLimits.bot_only(3)) as api:
        bot = make_bot(api.base_url)
        for chat in (1, 2, 3):
            await bot.send_message(chat, "ok")
        with pytest.raises(TelegramRetryAfter) as flood:
            await bot.send_message(4, "too many")
        await bot.session.close()

    assert flood.value.retry_after == 1
    assert api.throttled == 1
    assert [call.status for call in api.calls] == [200, 200, 200, 429]
    assert [m["chat"]["id"] for m in api.sent_messages()] == [1, 2, 3]


async def test_without_limits_bursts_to_one_chat_pass(bot_api: LocalBotAPI, bot: Bot) -> None:
    for number in range(50):
        await bot.send_message(42, f"сообщение {number}")
    assert len(bot_api.sent_messages(42)) == 50 and bot_api.throttled == 0
