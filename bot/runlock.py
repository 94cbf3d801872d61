"""One `svodka run` per SQLite file: the supported shape for SQLite, whose single writer and
in-process delivery state assume it. Several processes need PostgreSQL."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import ConfigError


@contextmanager
def sole_run(database_url: str) -> Iterator[None]:
    """Hold an exclusive lock on `<database file>.run.lock` while the block runs; a second
    process asking for it gets a ConfigError naming the first one. The operating system frees
    the lock when the process ends, however it ends, so a stale file never blocks a restart."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    path = Path(f"{url.database}.run.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="ascii") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            raise ConfigError(
                f"another svodka run (pid {holder}) is using {url.database}; one process per "
                "SQLite file (use PostgreSQL to run several)"
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield
