"""One supervisor for every background loop of a process (feeds, push scan, digests, sending,
heartbeat, the sender election): a loop that fails on a lost database or network logs one line,
waits (doubling from BACKOFF_FIRST to BACKOFF_CAP seconds, jittered) and starts again, while
/readyz says it is failing. A loop that has not completed a pass for SVODKA_LOOP_GIVE_UP seconds
of failures raises LoopGaveUp, which ends the process with a non-zero status (bot/app.py) so that
systemd (Restart=on-failure) starts it afresh. Retries are a bounded loop, never recursion.

    async def body(ran):
        while not stop.is_set():
            await one_pass()
            ran()  # a pass completed: the loop is healthy again
            await wait(...)

    await supervise("delivery.push_scan", interval, body, stop, settings)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.logs import first_cause, one_line
from bot.metrics import LOOPS, Loops

log = logging.getLogger(__name__)

BACKOFF_FIRST = 1.0  # seconds before the first retry of a failed loop; doubles
BACKOFF_CAP = 10.0  # longest wait between retries, seconds: a cure is noticed this soon
DATABASE_WAIT_LOG = 5.0  # seconds between "waiting for the database" lines at start
DATABASE_CHECK = 1.0  # seconds between connection attempts at start

Ran = Callable[[], None]
Body = Callable[[Ran], Awaitable[None]]
Pause = Callable[[asyncio.Event, float], Awaitable[None]]


class LoopGaveUp(Exception):
    """A loop kept failing for SVODKA_LOOP_GIVE_UP seconds: the process must end."""


class DatabaseUnreachable(Exception):
    """The database did not answer within SVODKA_LOOP_GIVE_UP seconds of the start."""


def backoff(attempt: int, *, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Delay before retry number `attempt` (1, 2, ...): doubling, capped, with jitter in its
    upper half so that a burst of failures does not come back as a burst."""
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay / 2 + rand() * delay / 2


def is_transient(error: BaseException) -> bool:
    """A lost database or network, as opposed to a bug (whose traceback is worth logging)."""
    error = first_cause(error)
    return (
        isinstance(error, OSError | TimeoutError | OperationalError | InterfaceError)
        or type(error) is DBAPIError  # the driver's own failure, not a rejected statement
        or (isinstance(error, DBAPIError) and error.connection_invalidated)
    )


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep up to `seconds`, less if `stop` gets set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


@dataclass(slots=True)
class Supervisor:
    give_up: float
    loops: Loops = LOOPS
    clock: Callable[[], float] = time.monotonic
    pause: Pause = pause
    rand: Callable[[], float] = random.random
    first: float = BACKOFF_FIRST
    cap: float = BACKOFF_CAP

    async def run(self, name: str, every: float, body: Body, stop: asyncio.Event) -> None:
        """Run `body(ran)` until it returns; after a failure, again once the backoff has passed
        (not at all if `stop` is set meanwhile). `every` is how often the body calls `ran()`
        when healthy (/readyz reports it late past twice that)."""
        streak = _Streak()
        with self.loops.watch(name, every) as ran:

            def passed() -> None:
                if streak.since is not None:
                    log.info("%s resumed", name)
                streak.since, streak.failures = None, 0
                ran()

            while not stop.is_set():
                try:
                    await body(passed)
                    return
                except Exception as error:
                    delay = self._retry_in(name, error, streak)
                await self.pause(stop, delay)

    def _retry_in(self, name: str, error: Exception, streak: _Streak) -> float:
        """Seconds to wait after a failure of `name` (logged in one line); LoopGaveUp once
        the failures have lasted `give_up` seconds without a completed pass."""
        now = self.clock()
        streak.since = now if streak.since is None else streak.since
        streak.failures += 1
        left = streak.since + self.give_up - now
        if left <= 0:
            raise LoopGaveUp(
                f"{name} failed for {now - streak.since:.0f} s"
                f" (SVODKA_LOOP_GIVE_UP={self.give_up:g}): {one_line(error)}"
            ) from error
        delay = backoff(streak.failures, base=self.first, cap=self.cap, rand=self.rand)
        delay = min(left, delay)
        self.loops.failing(name, type(first_cause(error)).__name__)
        first_bug = streak.failures == 1 and not is_transient(error)
        log.warning(
            "%s failed (%s); retrying in %.1f s", name, one_line(error), delay, exc_info=first_bug
        )
        return delay


@dataclass(slots=True)
class _Streak:
    """Failures of a loop since its last completed pass."""

    since: float | None = None
    failures: int = 0


async def supervise(name: str, every: float, body: Body, stop: asyncio.Event, settings) -> None:
    """`Supervisor(settings.loop_give_up).run(...)`: how the loops of `svodka run` are run."""
    await Supervisor(settings.loop_give_up).run(name, every, body, stop)


async def give_up_when_silent(
    name: str,
    give_up: float,
    *,
    loops: Loops = LOOPS,
    pause: Pause = pause,
    check: float = DATABASE_CHECK,
) -> None:
    """For a loop that retries by itself (aiogram's long polling backs off and tries again
    forever): LoopGaveUp once it has completed no pass for `give_up` seconds."""
    never = asyncio.Event()
    while True:
        await pause(never, check)
        silent = loops.silent_for(name)
        if silent is not None and silent >= give_up:
            raise LoopGaveUp(
                f"{name} completed no pass for {silent:.0f} s (SVODKA_LOOP_GIVE_UP={give_up:g})"
            )


async def wait_for_database(
    db, give_up: float, *, clock: Callable[[], float] = time.monotonic, pause: Pause = pause
) -> None:
    """Return once the database answers; until then try every DATABASE_CHECK seconds and log
    one line every DATABASE_WAIT_LOG seconds; DatabaseUnreachable after `give_up` seconds."""
    started, logged = clock(), None
    never = asyncio.Event()
    while True:
        try:
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return
        except Exception as error:  # whatever keeps us from the database, it is the finding
            now = clock()
            if now - started >= give_up:
                raise DatabaseUnreachable(
                    f"the database did not answer for {give_up:g} s (SVODKA_LOOP_GIVE_UP):"
                    f" {one_line(error)}"
                ) from None
            if logged is None or now - logged >= DATABASE_WAIT_LOG:
                log.warning("waiting for the database: %s", one_line(error))
                logged = now
        await pause(never, DATABASE_CHECK)
