"""Two real `svodka run --role worker` processes on one PostgreSQL database poll public channels
served here: their requests to the "t.me" host never overlap and start at least
SVODKA_TELEGRAM_WEB_SPACING apart, though both workers poll. Bounded in time; kills only the
processes it started (tests/test_several_processes.py has the database fixture)."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import timedelta

from aiohttp import web

from bot.localapi import LocalBotAPI
from bot.localapi.cluster import Processes, site
from bot.storage import sources
from bot.storage.schema import sources as sources_table
from bot.storage.schema import utcnow
from tests.ingest.channel_pages import message, page
from tests.ingest.test_channels import NEWS
from tests.test_several_processes import REPO, database, process_env  # noqa: F401

SPACING = 1.0
CHANNELS = 6
START_IN = 90  # seconds until the channels fall due: both workers are up by then and wake
# for it together (a poller with nothing due sleeps at most poller.MAX_SLEEP, 60 s)


async def test_two_workers_take_turns_at_the_host(database, tmp_path):  # noqa: F811
    spans: list[tuple[float, float]] = []

    async def preview(request: web.Request) -> web.Response:
        started = time.monotonic()
        index = int(request.match_info["name"].removeprefix("chan_"))
        posts = [message(f"chan_{index}", n, NEWS[2 * index + n]) for n in (0, 1)]
        await asyncio.sleep(0.2)  # an answer that takes a while: overlaps would show
        spans.append((started, time.monotonic()))
        return web.Response(text=page(f"chan_{index}", "Канал", posts), content_type="text/html")

    app = web.Application()
    app.router.add_get("/s/{name}", preview)
    due = utcnow() + timedelta(seconds=START_IN)
    async with database.transaction() as conn:
        for index in range(CHANNELS):
            url = f"https://t.me/s/chan_{index}"
            await sources.add_feed(conn, url, poll_interval=3600, kind=sources.CHANNEL)
        await conn.execute(sources_table.update().values(next_poll_at=due))
    async with LocalBotAPI() as api, site(app) as web_url:
        env = process_env(database, api)
        env |= {"SVODKA_TELEGRAM_WEB": web_url, "SVODKA_TELEGRAM_WEB_SPACING": str(SPACING)}
        processes = Processes(tmp_path, env, cwd=REPO)
        try:
            workers = [await processes.start(f"worker{n}", "--role", "worker") for n in (0, 1)]
            for worker in workers:
                await processes.wait_logged(worker, "listening on", within=START_IN)
            async with asyncio.timeout(START_IN + 60):
                while len(spans) < CHANNELS:  # noqa: ASYNC110 (requests from other processes)
                    await asyncio.sleep(0.2)
            for worker in workers:  # each polled some (a poll that adds posts logs a line)
                await processes.wait_logged(worker, "feed https://t.me/s/chan_", within=30)
        finally:
            await processes.stop_all()
    spans.sort()
    gaps = [later[0] - earlier[1] for earlier, later in itertools.pairwise(spans)]
    assert len(spans) == CHANNELS and min(gaps) >= SPACING - 0.05, gaps
