"""Process-level pieces of bot/app.py: services that stop promptly, memory settled."""

from __future__ import annotations

import asyncio
import gc

from aiogram.methods.base import Response
from aiogram.types import Message

from bot.app import poll_feeds, response_types, settle_memory
from bot.handlers import routers
from bot.storage.database import Database
from bot.storage.migrate import upgrade


async def test_feed_poller_without_feeds_stops_at_once(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    await upgrade(db)
    stop = asyncio.Event()
    service = asyncio.create_task(poll_feeds(db, None, None, stop, None))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(service, 2)  # not FEED_CHECK_INTERVAL
    await db.close()


def test_every_filter_runs_on_the_event_loop():
    # aiogram runs a plain callable filter, F included, through asyncio.to_thread on each check
    in_threads = [
        f"{router.name}.{handler.callback.__name__}"
        for router in routers()
        for observer in router.observers.values()
        for handler in observer.handlers
        for check in handler.filters or ()
        if not check.awaitable
    ]
    assert in_threads == []


def test_settle_memory_freezes_startup_objects_and_holds_response_classes():
    try:
        settle_memory()
        assert gc.get_freeze_count() > 0
        assert response_types() is response_types()  # built once, then held by the cache
        assert Response[Message] in response_types()
    finally:
        gc.unfreeze()
