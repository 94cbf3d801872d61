"""Telegram's send limits, kept by construction: every message waits for its slot.

Each limit is a spacing between messages (no bursts), so no window of any length holds more
than the limit: the whole bot gets one slot per 1/rate seconds, a private chat one
per 1/chat_rate seconds, a group or channel one per 60/group_rate seconds. A message waits for
all three at once, so a chat that is not ready never holds up the others. On top of the
spacing, the bot's last `rate` messages must span more than a second (plus 50 ms, for the
network between here and Telegram), so no second ever holds more than `rate` of them, as
Telegram counts.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings

GROUP_KINDS = frozenset({"group", "supergroup", "channel"})
WINDOW = 1.05  # seconds that `rate` consecutive messages must span: 50 ms for network jitter


@dataclass(frozen=True, slots=True)
class Limits:
    rate: float  # messages per second, the whole bot
    chat_rate: float  # messages per second, one private chat
    group_rate: float  # messages per minute, one group or channel

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.delivery_rate, settings.delivery_chat_rate, settings.delivery_group_rate
        )


class Limiter:
    def __init__(self, limits: Limits, *, monotonic: Callable[[], float] = time.monotonic):
        self._interval = 1 / limits.rate
        self._chat_interval = 1 / limits.chat_rate
        self._group_interval = 60 / limits.group_rate
        self._now = monotonic
        self._next_slot = 0.0  # the earliest time of the next global slot
        self._per_second = max(1, math.floor(limits.rate))  # messages in a window of a second
        self._recent: deque[float] = deque(maxlen=self._per_second)
        self._paused_until = 0.0  # Telegram asked the whole bot to wait
        self._chat_ready: dict[int, float] = {}  # chat id -> its next free time
        self._turn = asyncio.Lock()

    async def acquire(self, chat_id: int, chat_kind: str) -> None:
        """Wait until a message to the chat may go out now, and take that moment."""
        while True:
            await self._sleep_until(max(self._chat_ready.get(chat_id, 0.0), self._paused_until))
            # Global slots go to one waiter at a time, in arrival order: the others sleep on
            # the lock instead of all waking at every slot to find it taken.
            async with self._turn:
                await self._sleep_until(
                    max(self._next_slot, self._paused_until, self._window_free())
                )
                now = self._now()
                if max(self._chat_ready.get(chat_id, 0.0), self._paused_until) > now:
                    continue  # paused while this waiter waited for its turn
                self._next_slot = _next(self._next_slot, now, self._interval)
                self._recent.append(now)
                # A chat's spacing counts from the message actually sent: Telegram's per-chat
                # limit allows no catching up after a late one.
                self._chat_ready[chat_id] = now + self._spacing(chat_kind)
                return

    def _window_free(self) -> float:
        """When one more message keeps every window of a second within the rate."""
        if len(self._recent) < self._per_second:
            return 0.0
        return self._recent[0] + WINDOW

    async def _sleep_until(self, moment: float) -> None:
        delay = moment - self._now()
        if delay > 0:
            await asyncio.sleep(delay)

    def pause_chat(self, chat_id: int, seconds: float) -> None:
        """No message to the chat for `seconds` (Telegram's retry_after for it)."""
        until = self._now() + seconds
        self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), until)

    def pause_all(self, seconds: float) -> None:
        """No message at all for `seconds` (the bot as a whole is over its limit)."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def forget_idle(self) -> None:
        """Drop chats whose next slot is already free, so memory follows active chats only."""
        now = self._now()
        self._chat_ready = {chat: at for chat, at in self._chat_ready.items() if at > now}

    def _spacing(self, chat_kind: str) -> float:
        return self._group_interval if chat_kind in GROUP_KINDS else self._chat_interval


def _next(due: float, taken: float, interval: float) -> float:
    """The slot after one that was due at `due` and taken at `taken`.

    Slots are taken when they are used, never reserved ahead, so an event loop that wakes late
    (a busy CPU) cannot bunch messages into a burst. A slot taken less than half an interval
    late still counts from when it was due, so wake-up latency is not lost from the rate: two
    messages are never closer than half an interval, and no window of any length holds more
    than one message over its share.
    """
    late = taken - due
    return (due if late < interval / 2 else taken) + interval
