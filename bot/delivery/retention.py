"""Pruning in the worker: old outbox rows and, when asked, old stories, in batches.

A batch is one short transaction; between batches the loop yields for a moment so the sender's
writes (marking rows sent) never wait behind a long delete. A pass stops after MAX_BATCHES
and leaves the rest for the next pass, so a first pass over a large archive stays bounded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import Settings
from bot.storage import retention
from bot.storage.database import Database

log = logging.getLogger(__name__)

INTERVAL = 600.0  # seconds between passes
BATCH = 100  # rows (outbox) or stories per transaction: a few ms of the write lock
MAX_BATCHES = 1000  # per pass and kind: 100,000 rows
PAUSE = 0.1  # seconds between batches: the sender's transactions go first

Prune = Callable[[AsyncConnection, datetime], Awaitable[int]]


class LimitedPrune(Protocol):
    """A prune of bot.storage.retention: at most `limit` rows or stories a call."""

    def __call__(
        self, conn: AsyncConnection, before: datetime, *, limit: int
    ) -> Awaitable[int]: ...


async def prune_old_rows(db: Database, settings: Settings, now: datetime) -> dict[str, int]:
    """One pass: rows pruned by kind ("deliveries", "stories"); a setting of 0 keeps all."""
    plan: dict[str, tuple[float, Prune]] = {
        "deliveries": (settings.keep_deliveries_days, _limited(retention.prune_deliveries)),
        "stories": (settings.keep_articles_days, _limited(retention.prune_stories)),
    }
    pruned = {}
    for kind, (days, prune) in plan.items():
        if days > 0:
            pruned[kind] = await _in_batches(db, prune, now - timedelta(days=days))
            if pruned[kind]:
                log.info("pruned %d %s older than %g days", pruned[kind], kind, days)
    return pruned


def _limited(prune: LimitedPrune) -> Prune:
    return lambda conn, before: prune(conn, before, limit=BATCH)


async def _in_batches(db: Database, prune: Prune, before: datetime) -> int:
    total = 0
    for _ in range(MAX_BATCHES):
        async with db.transaction() as conn:
            done = await prune(conn, before)
        total += done
        if done < BATCH:
            break
        await asyncio.sleep(PAUSE)
    return total
