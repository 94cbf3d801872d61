"""What this process exports at /metrics (Prometheus, through prometheus_client), and when each
of its loops last ran, which /readyz reads.

Metrics live in prometheus_client's process-wide registry, as the library intends; every one
carries the process's `role` (set once by `set_role`), so that processes of one deployment
can be told apart. Code elsewhere reports through the small functions below, not through the
metric objects, so a metric's labels are decided here alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import Gauge

from bot.storage.database import Database

_role = "all"


def set_role(role: str) -> None:
    """The role every metric of this process is labeled with (`svodka run --role`)."""
    global _role
    _role = role


def role() -> str:
    return _role


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

    def problems(self) -> list[str]:
        """One line per loop that stopped or is late; empty when all run on time."""
        now = self.clock()
        found = []
        for name, watched in sorted(self._loops.items()):
            ago = now - watched.last
            if watched.stopped:
                found.append(f"{name} stopped")
            elif ago > 2 * watched.every + LATE_SLACK:
                found.append(f"{name} last ran {ago:.0f} s ago (every {watched.every:g} s)")
        return found

    def stopped(self) -> list[str]:
        return sorted(name for name, watched in self._loops.items() if watched.stopped)


LOOPS = Loops()
