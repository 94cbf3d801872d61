"""A user who floods the bot: the excess is dropped with one polite notice a minute, others
are still answered, and a user's answers keep to the pace Telegram allows one chat."""

from __future__ import annotations

import asyncio

from bot import texts
from bot.middlewares import ThrottleMiddleware
from localapi.objects import user

FLOODER = user(2002, "Флуд")
NEIGHBOUR = user(3003, "Соседка")


def notices(harness) -> int:
    sent = harness.api.sent_messages(FLOODER["id"])
    return sum(message["text"] == texts.TOO_MANY_MESSAGES for message in sent)


def helps(harness, who: dict) -> int:
    sent = harness.api.sent_messages(who["id"])
    return sum(message["text"].startswith("Что я умею") for message in sent)


async def test_a_flood_is_cut_with_one_notice_and_others_are_answered(harness_with):
    async with harness_with(throttle_rate=20.0, throttle_burst=1, throttle_pending=3) as harness:
        for _ in range(40):
            harness.api.inject_message("/help", user=FLOODER)
        [reply] = await harness.say("/help", user=NEIGHBOUR)
        assert reply["text"].startswith("Что я умею")
        await harness.api.wait_sent(FLOODER["id"], count=4)  # the notice, the 3 let in
        assert notices(harness) == 1
        assert 3 <= helps(harness, FLOODER) < 40
        before = len(harness.api.sent_messages(FLOODER["id"]))
        for _ in range(40):  # a second flood within the minute: cut without a notice
            harness.api.inject_message("/help", user=FLOODER)
        await harness.api.wait_sent(FLOODER["id"], count=before + 3)
        await asyncio.sleep(0.2)
        assert notices(harness) == 1
        assert helps(harness, FLOODER) < 80


class Clock:
    """time.monotonic and asyncio.sleep for the throttle: sleeping moves the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_every_answer_beyond_the_first_costs_a_turn(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("bot.middlewares.time.monotonic", clock.monotonic)
    monkeypatch.setattr("bot.middlewares.asyncio.sleep", clock.sleep)
    throttle = ThrottleMiddleware(rate=1.0, burst=1)
    data = {"event_from_user": type("U", (), {"id": 42})()}

    def answering(count: int):
        async def handler(event, data) -> None:
            for _ in range(count):
                throttle.count_answer(42)

        return handler

    await throttle(answering(3), None, data)  # three messages: two over the update's one
    await throttle(answering(1), None, data)
    await throttle(answering(1), None, data)
    assert clock.slept == [0.0, 3.0, 1.0]
    throttle.count_answer(42)  # a push between updates is not the user's doing
    await throttle(answering(0), None, data)
    assert clock.slept[-1] == 1.0


async def test_a_waiting_flood_holds_no_more_than_its_cap():
    throttle = ThrottleMiddleware(rate=1000.0, burst=1, max_pending=5)
    release = asyncio.Event()
    started = 0

    async def slow(event, data) -> None:
        nonlocal started
        started += 1
        await release.wait()

    data = {"event_from_user": type("U", (), {"id": 7})()}  # no chat: nothing to notify
    calls = [asyncio.create_task(throttle(slow, None, dict(data))) for _ in range(50)]
    await asyncio.sleep(0)
    dropped = sum(task.done() for task in calls)
    release.set()
    await asyncio.gather(*calls)
    assert (dropped, started) == (45, 5)
