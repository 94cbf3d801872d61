"""The limiter spaces messages so that no limit is ever exceeded, and honours pauses."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from bot.delivery.limiter import Limiter, Limits

JITTER = 0.004  # seconds an event loop may wake late; grants are compared with this slack


async def grant_times(limiter: Limiter, chats: list[tuple[int, str]]) -> dict[int, list[float]]:
    """Acquire once per entry, concurrently; the grant times per chat."""
    times: dict[int, list[float]] = {}

    async def one(chat_id: int, kind: str) -> None:
        await limiter.acquire(chat_id, kind)
        times.setdefault(chat_id, []).append(time.monotonic())

    await asyncio.gather(*(one(chat_id, kind) for chat_id, kind in chats))
    return times


def gaps(moments: list[float]) -> list[float]:
    moments = sorted(moments)
    return [later - earlier for earlier, later in itertools.pairwise(moments)]


@pytest.mark.parametrize(
    ("kind", "spacing"),
    [("private", 1 / 50), ("group", 60 / 600), ("channel", 60 / 600)],
)
async def test_one_chat_gets_one_slot_per_its_spacing(kind, spacing):
    limiter = Limiter(Limits(rate=1000, chat_rate=50, group_rate=600))
    times = await grant_times(limiter, [(7, kind)] * 5)
    assert min(gaps(times[7])) >= spacing - JITTER


async def test_the_whole_bot_never_goes_over_its_rate():
    rate = 400
    limiter = Limiter(Limits(rate=rate, chat_rate=1000, group_rate=60000))
    started = time.monotonic()
    times = await grant_times(limiter, [(chat, "private") for chat in range(120)])
    moments = sorted(moment for chat_times in times.values() for moment in chat_times)
    # 120 slots 1/400 s apart: the last cannot come before 119/400 s.
    assert moments[-1] - started >= 119 / rate - JITTER
    # and in any 50 ms at most 20 (+1 for a boundary event) were granted.
    assert (
        max(sum(1 for other in moments if moment <= other < moment + 0.05) for moment in moments)
        <= 0.05 * rate + 1
    )


async def test_no_second_holds_more_than_the_rate_even_with_a_late_loop():
    """Slots taken a little late count from when they were due (no rate lost to wake-up
    latency), but never so that a second holds more than `rate` messages."""
    now = [0.0]
    limiter = Limiter(Limits(rate=10, chat_rate=1000, group_rate=60000), monotonic=lambda: now[0])
    granted = []

    async def sleep(delay: float) -> None:
        now[0] += delay + 0.04  # every wake-up 40 ms late: under half an interval

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(asyncio, "sleep", sleep)
        for chat in range(60):
            await limiter.acquire(chat, "private")
            granted.append(now[0])
    assert max(sum(1 for t in granted if start <= t < start + 1) for start in granted) <= 10


async def test_a_chat_pause_holds_that_chat_only():
    limiter = Limiter(Limits(rate=1000, chat_rate=1000, group_rate=60000))
    limiter.pause_chat(1, 0.2)
    started = time.monotonic()
    times = await grant_times(limiter, [(1, "private"), (2, "private")])
    assert times[1][0] - started >= 0.2 - JITTER
    assert times[2][0] < times[1][0]  # chat 2 went while chat 1 was still paused


async def test_a_global_pause_holds_everyone():
    limiter = Limiter(Limits(rate=1000, chat_rate=1000, group_rate=60000))
    limiter.pause_all(0.2)
    started = time.monotonic()
    times = await grant_times(limiter, [(1, "private"), (2, "channel")])
    assert min(moment for chat_times in times.values() for moment in chat_times) - started >= (
        0.2 - JITTER
    )
