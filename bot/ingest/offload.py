"""Where the CPU-heavy ingest steps run: feed parsing, page extraction, cleaning, summarizing
and classifying.

In the bot they run in a pool of worker processes (`ProcessOffload`), so the event loop that
answers people only waits for results: a 5 MB feed or a page built to make a parser crawl
costs a worker's time, never a user's. The CLI (`svodka ingest`) answers nobody and runs them
in its own process (`INLINE`), which is faster.

Each step holds itself to a time budget (`time_budget`): a document that takes longer is
rejected instead of holding a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from bot.ingest.document import SourceError

T = TypeVar("T")

WORKER_NICENESS = 10
"""Workers yield the CPU to the bot's own process: on a small machine the event loop that
answers people keeps its core while a worker grinds through a hostile feed."""


class Offload(Protocol):
    """Runs a CPU-heavy function with its arguments and hands back its result. `remote`: in
    another process (arguments and results are pickled on the way)."""

    remote: bool

    async def run(self, function: Callable[..., T], *args: Any) -> T: ...


class Inline:
    """Runs the function right here (the CLI: nobody waits on its event loop)."""

    remote = False

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        return function(*args)


INLINE = Inline()


class ProcessOffload:
    """A pool of worker processes, started on first use and stopped by `shutdown`.

    Workers are spawned, not forked: they import only the ingest stack (never aiogram) and
    inherit no sockets or event loop of the bot.
    """

    remote = True

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    async def shutdown(self) -> None:
        """Stop the workers once their current step is done (each is within its budget)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


def _start_worker(parent: int) -> None:
    os.nice(WORKER_NICENESS)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the bot, which stops the pool
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


ORPHAN_CHECK = 1.0  # seconds between checks that the bot is still there


def _exit_with_parent(parent: int) -> None:
    """End this worker once the bot that started it is gone: a bot killed with SIGKILL never
    shuts its pool down, and its workers would otherwise live on, idle, after every crash."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK)
    os._exit(0)


OVERTIME_REPEAT = 0.2  # seconds


class Overtime(SourceError):
    """A step ran past its time budget."""


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise Overtime in the block once it has run `seconds`. Works in a process's main thread
    (the workers', the CLI's); elsewhere the block runs unbounded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    armed = True

    def expire(signum: int, frame: object) -> None:
        if armed:  # a tick that lands just after the block has ended is ignored
            raise Overtime(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    # Ticks repeat: a library that swallows the first Overtime (feedparser falls back to
    # another parser on any exception) gets another one a moment later.
    signal.setitimer(signal.ITIMER_REAL, seconds, OVERTIME_REPEAT)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
