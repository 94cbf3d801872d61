"""Telegram's flood limits, enforced by the local server with 429 answers.

Each limit is a token bucket in its GCRA form (one "theoretical arrival time" float per key):
`count` messages per `period` seconds on average, with bursts of up to `count`. This accepts
both a client that paces with its own token bucket (burst <= count) and one that keeps a
sliding window of `count` per `period`, and rejects a client that sends faster than that.
`slack` absorbs the jitter between a client's clock and the moment a request arrives.
"""

import math
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    period: float  # seconds


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Per-bot, per-chat and per-group/channel message limits (Telegram's by default)."""

    per_bot: Limit | None = Limit(30, 1.0)
    per_chat: Limit | None = Limit(1, 1.0)
    per_group: Limit | None = Limit(20, 60.0)  # groups, supergroups and channels
    slack: float = 0.02

    @classmethod
    def bot_only(cls, per_second: int) -> "RateLimits":
        """Only the bot-wide limit, e.g. 300/s for the delivery benchmark."""
        return cls(per_bot=Limit(per_second, 1.0), per_chat=None, per_group=None)


class Bucket:
    def __init__(self, limit: Limit, slack: float) -> None:
        self.interval = limit.period / limit.count
        self.tolerance = limit.period - self.interval + slack
        self.arrival: dict[Hashable, float] = {}

    def wait(self, key: Hashable, now: float) -> float:
        """Seconds until a message for `key` is allowed (0 if it is allowed now)."""
        return max(0.0, self.arrival.get(key, now) - self.tolerance - now)

    def take(self, key: Hashable, now: float) -> None:
        self.arrival[key] = max(self.arrival.get(key, now), now) + self.interval
        if len(self.arrival) > 4096:  # keys whose buckets are full again carry no state
            self.arrival = {k: t for k, t in self.arrival.items() if t > now}


class RateLimiter:
    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.rejected = 0
        self._buckets = {
            kind: Bucket(limit, limits.slack)
            for kind in ("per_bot", "per_chat", "per_group")
            if (limit := getattr(limits, kind)) is not None
        }

    def acquire(self, bot_id: int, chat: dict, now: float) -> int:
        """Take one message from every limit that applies, or take none and return the
        whole seconds to wait (Telegram's `retry_after`, at least 1)."""
        keys = {"per_bot": bot_id, "per_chat": (bot_id, chat["id"])}
        if chat["type"] != "private":
            keys["per_group"] = (bot_id, chat["id"])
        applicable = [
            (self._buckets[kind], key) for kind, key in keys.items() if kind in self._buckets
        ]
        wait = max((bucket.wait(key, now) for bucket, key in applicable), default=0.0)
        if wait > 0:
            self.rejected += 1
            return max(1, math.ceil(wait))
        for bucket, key in applicable:
            bucket.take(key, now)
        return 0
