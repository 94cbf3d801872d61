"""What this process exports at /metrics (Prometheus, through prometheus_client), and when each
of its loops last ran, which /readyz reads.

Metrics live in prometheus_client's process-wide registry, as the library intends; every one
carries the process's `role` (set once by `set_role`), so that processes of one deployment
can be told apart. Code elsewhere reports through the small functions below, not through the
metric objects, so a metric's labels are decided here alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import Counter, Gauge, Histogram

from bot.storage.database import Database

_role = "all"


def set_role(role: str) -> None:
    """The role every metric of this process is labeled with (`svodka run --role`)."""
    global _role
    _role = role


def role() -> str:
    return _role


UPDATES = Counter("svodka_updates_total", "Updates handled, by type", ["role", "type"])
UPDATE_SECONDS = Histogram(
    "svodka_update_seconds",
    "Time to handle one update (middlewares, database and replies included), by type",
    ["role", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SENDS = Counter(
    "svodka_sends_total",
    "Messages the delivery worker tried to send, by outcome (ok, 429, 403, 4xx, 5xx, network)",
    ["role", "outcome"],
)
RETRY_AFTER = Counter(
    "svodka_retry_after_seconds_total", "Seconds Telegram asked to wait (429 retry_after)", ["role"]
)
ARTICLES = Counter(
    "svodka_articles_total",
    "Documents ingested, by source (feed id, or 'other') and result",
    ["role", "source", "result"],
)
SUMMARIZE_SECONDS = Histogram(
    "svodka_summarize_seconds",
    "Time to summarize and classify one new article",
    ["role"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
REPLIES_FAILED = Counter(
    "svodka_replies_failed_total",
    "Answers to updates given up, by reason (retry_after, server_error, network)",
    ["role", "reason"],
)
FEED_POLLS = Counter("svodka_feed_polls_total", "Feed polls, by feed id", ["role", "feed"])
FEED_FAILURES = Counter(
    "svodka_feed_failures_total", "Feed polls that failed, by feed id", ["role", "feed"]
)
FEED_POLL_SECONDS = Histogram(
    "svodka_feed_poll_seconds",
    "Time to poll one feed (fetch, parse, item pages, ingest)",
    ["role"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


BUILD_INFO = Gauge(
    "svodka_build_info",
    "What runs: the package version and schema revision (always 1)",
    ["role", "version", "revision"],
)
SENDER = Gauge(
    "svodka_sender",
    "1 on the worker that sends (holds the sender lock), 0 on one standing by",
    ["role", "worker"],
)


def build_info() -> None:
    """Labels this process's build_info series; called once the role is set."""
    from bot.version import package_version, schema_revision

    BUILD_INFO.labels(_role, package_version(), schema_revision()).set(1)


def sender(worker: str, sending: bool) -> None:
    SENDER.labels(_role, worker).set(1 if sending else 0)


def update_handled(kind: str, seconds: float) -> None:
    UPDATES.labels(_role, kind).inc()
    UPDATE_SECONDS.labels(_role, kind).observe(seconds)


def send_outcome(outcome: str, *, retry_after: float = 0.0) -> None:
    SENDS.labels(_role, outcome).inc()
    if retry_after:
        RETRY_AFTER.labels(_role).inc(retry_after)


def reply_failed(reason: str) -> None:
    REPLIES_FAILED.labels(_role, reason).inc()


def ingested(source_ids: Sequence[int | None], results: Sequence[str]) -> None:
    """One document per (source id, result) pair; result is added, merged, duplicate or
    rejected."""
    for source_id, result in zip(source_ids, results, strict=True):
        ARTICLES.labels(_role, "other" if source_id is None else str(source_id), result).inc()


def summarized(seconds: Sequence[float]) -> None:
    histogram = SUMMARIZE_SECONDS.labels(_role)
    for value in seconds:
        histogram.observe(value)


def feed_polled(feed_id: int, seconds: float) -> None:
    FEED_POLLS.labels(_role, str(feed_id)).inc()
    FEED_POLL_SECONDS.labels(_role).observe(seconds)


def feed_failed(feed_id: int) -> None:
    FEED_FAILURES.labels(_role, str(feed_id)).inc()


OUTBOX_ROWS = Gauge(
    "svodka_outbox_rows", "Outbox rows by state (read from the database)", ["role", "state"]
)
OUTBOX_STATES = ("pending", "sent", "failed", "dropped")


async def read_database(db: Database) -> None:
    """Refresh the figures that live in the database; called at each scrape."""
    from bot.storage import deliveries

    async with db.read() as conn:
        counts = await deliveries.counts(conn)
    for state in sorted({*OUTBOX_STATES, *counts}):
        OUTBOX_ROWS.labels(_role, state).set(counts.get(state, 0))


LOOP_LAST_RUN = Gauge(
    "svodka_loop_last_run_timestamp_seconds",
    "When each background loop of this process last completed a pass (Unix time)",
    ["role", "loop"],
)

# A loop is late when its last pass is older than twice its interval plus this many seconds
# (a pass itself takes time: a digest for many chats, a slow database).
LATE_SLACK = 30.0


@dataclass(slots=True)
class _Watched:
    every: float
    last: float
    stopped: bool = False
    failing: str | None = None  # the error of a loop waiting to retry (bot/supervisor.py)
    failing_since: float = 0.0


class Loops:
    """The loops running in this process, each with its interval and its last pass."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._loops: dict[str, _Watched] = {}

    @contextmanager
    def watch(self, name: str, every: float) -> Iterator[Callable[[], None]]:
        """`with loops.watch("delivery.send", 1.0) as ran:` and `ran()` after each pass.

        A loop that fails stays listed as stopped (the process no longer does that job); one
        that ends normally or is cancelled (at shutdown) is forgotten.
        """
        watched = self._loops[name] = _Watched(every, self.clock())

        def ran() -> None:
            watched.last = self.clock()
            watched.failing = None
            LOOP_LAST_RUN.labels(_role, name).set(watched.last)

        ran()
        try:
            yield ran
        except Exception:
            watched.stopped = True
            raise
        finally:
            if not watched.stopped and self._loops.get(name) is watched:
                del self._loops[name]
                LOOP_LAST_RUN.remove(_role, name)

    def failing(self, name: str, error: str) -> None:
        """The loop failed and waits to retry: not ready until its next completed pass."""
        watched = self._loops[name]
        if watched.failing is None:
            watched.failing_since = self.clock()
        watched.failing = error

    def problems(self) -> list[str]:
        """One line per loop that stopped, is failing or is late; empty when all run on time."""
        now = self.clock()
        found = []
        for name, watched in sorted(self._loops.items()):
            ago = now - watched.last
            if watched.stopped:
                found.append(f"{name} stopped")
            elif watched.failing is not None:
                since = now - watched.failing_since
                found.append(f"{name} failing for {since:.0f} s ({watched.failing})")
            elif ago > 2 * watched.every + LATE_SLACK:
                found.append(f"{name} last ran {ago:.0f} s ago (every {watched.every:g} s)")
        return found

    def silent_for(self, name: str) -> float | None:
        """Seconds since the loop last completed a pass; None if it is not running."""
        watched = self._loops.get(name)
        return None if watched is None else self.clock() - watched.last

    def stopped(self) -> list[str]:
        return sorted(name for name, watched in self._loops.items() if watched.stopped)


LOOPS = Loops()
