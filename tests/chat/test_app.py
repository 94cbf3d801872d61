"""Process-level pieces of bot/app.py: services that stop promptly, memory settled."""

from __future__ import annotations

import asyncio
import gc

import pytest
from aiogram.methods.base import Response
from aiogram.types import Message

from bot.app import ServiceFailed, build_bot, poll_feeds, response_types, run_bot, settle_memory
from bot.config import Settings
from bot.handlers import routers
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.supervisor import LoopGaveUp
from localapi import Fault, LocalBotAPI


async def test_feed_poller_without_feeds_stops_at_once(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    await upgrade(db)
    stop = asyncio.Event()
    service = asyncio.create_task(poll_feeds(db, None, Settings(_env_file=None), stop, None))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(service, 2)  # not FEED_CHECK_INTERVAL
    await db.close()


async def gives_up(db, bot, settings, stop, offload) -> None:
    await asyncio.sleep(0.1)
    raise LoopGaveUp("delivery.send failed for 300 s")


async def returns(db, bot, settings, stop, offload) -> None:
    await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    ("role", "webhook", "service", "says"),
    [
        ("worker", False, gives_up, r"LoopGaveUp: delivery\.send failed for 300 s"),
        ("all", False, gives_up, r"LoopGaveUp: delivery\.send failed for 300 s"),
        ("all", True, gives_up, r"LoopGaveUp: delivery\.send failed for 300 s"),
        ("worker", False, returns, r"ServiceEnded: returns returned before the process was"),
    ],
)
async def test_a_service_that_gives_up_or_ends_ends_the_run_with_an_error(
    tmp_path, role, webhook, service, says
):
    """Never a zombie: the process ends (non-zero, for systemd) instead of running without
    its sending, whether it long-polls, takes a webhook or only works."""
    async with LocalBotAPI() as api:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
            telegram_api=api.base_url,
            listen="127.0.0.1:0",
            webhook_url=f"{api.base_url}/hook",
            webhook_secret="secret",
            ingest_workers=1,
        )
        run = run_bot(
            settings,
            role=role,
            webhook=webhook,
            bot=build_bot("123456:TEST", settings),
            services=[service],
            handle_signals=False,
            polling_timeout=1,
        )
        with pytest.raises(ServiceFailed, match=says):
            await asyncio.wait_for(run, 30)


async def test_polling_that_cannot_resume_ends_the_run_with_an_error(tmp_path):
    """aiogram retries a failing getUpdates forever; SVODKA_LOOP_GIVE_UP ends that."""
    async with LocalBotAPI() as api:
        api.fail(Fault.server_error(502), method="getUpdates", times=None)
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
            telegram_api=api.base_url,
            listen="off",
            loop_give_up=2,
            ingest_workers=1,
        )
        run = run_bot(
            settings,
            bot=build_bot("123456:TEST", settings),
            services=[],
            handle_signals=False,
            polling_timeout=1,
        )
        with pytest.raises(ServiceFailed, match=r"LoopGaveUp: polling completed no pass for 2 s"):
            await asyncio.wait_for(run, 30)


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
