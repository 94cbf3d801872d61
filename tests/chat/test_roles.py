"""`svodka run --role`, one `svodka run` per SQLite file, a 409 Conflict from a second long
poller, and updates acted on once across bot instances."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp
import pytest
from aiogram.types import Update

from bot.middlewares import DedupMiddleware
from bot.storage import updates
from bot.storage.schema import utcnow
from localapi import LocalBotAPI
from tests.chat.test_run import TOKEN, clean_env, listening_url, read_log, svodka
from tests.support.databases import own_postgres_database, require_postgres

pytestmark = pytest.mark.processes  # starts real svodka processes


async def start_run(tmp_path, api: LocalBotAPI, name: str, *args: str, **env: str):
    log = tmp_path / f"{name}.log"
    environment = clean_env(tmp_path, BOT_TOKEN=TOKEN, SVODKA_TELEGRAM_API=api.base_url, **env)
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", *args, cwd=tmp_path, env=environment,
            stdout=output, stderr=output,
        )  # fmt: skip
    await listening_url(log, process)
    return process, log, environment


async def stop(process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 30)


async def test_a_second_run_on_the_same_sqlite_file_is_refused_with_one_line(tmp_path):
    async with LocalBotAPI() as api:
        first, _, env = await start_run(tmp_path, api, "first")
        try:
            code, output = await svodka("run", env=env, cwd=tmp_path)
        finally:
            await stop(first)
    lines = output.strip().splitlines()
    assert code == 2
    assert len(lines) == 1 and "another svodka run (pid " in lines[0], lines
    assert "one process per SQLite file" in lines[0]
    assert first.returncode == 0


async def test_a_409_conflict_ends_the_run_with_one_line_and_exit_1(tmp_path):
    async with LocalBotAPI() as api:
        process, log, _ = await start_run(tmp_path, api, "poller")
        try:
            # Inside its first long poll (10 s): a poll that comes later ends it with 409.
            async with asyncio.timeout(60):
                while "Run polling" not in read_log(log):  # noqa: ASYNC110 (another process)
                    await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)
            async with aiohttp.ClientSession() as session:  # a second consumer of the token
                url = f"{api.base_url}/bot{TOKEN}/getUpdates"
                async with session.post(url, data={"timeout": "1"}):
                    pass
            await asyncio.wait_for(process.wait(), 30)
        finally:
            await stop(process)
    output = read_log(log)
    assert process.returncode == 1, output[-2000:]
    [line] = [line for line in output.splitlines() if "cannot run" in line]
    assert "another process is receiving this bot's updates" in line
    assert "Failed to fetch updates" not in output  # no retry loop before giving up


async def test_a_worker_delivers_and_never_polls_for_updates(tmp_path):
    require_postgres()  # several processes, so --role worker, need PostgreSQL
    async with (
        own_postgres_database(f"svodka_roles_{os.getpid()}") as db,
        LocalBotAPI() as api,
    ):
        url = db.url.render_as_string(hide_password=False)
        process, _, _ = await start_run(
            tmp_path, api, "worker", "--role", "worker", SVODKA_DATABASE_URL=url
        )
        try:
            await asyncio.sleep(1)
        finally:
            await stop(process)
        assert process.returncode == 0
        assert api.calls_to("getUpdates") == [] and api.calls_to("setMyCommands") == []


async def test_an_update_is_acted_on_once_across_instances(postgres_database):
    """Two bot instances behind a load balancer, Telegram redelivering an update to both."""
    handled = []

    async def handler(event, data):
        handled.append(event.update_id)

    instances = [DedupMiddleware(shared=postgres_database) for _ in range(2)]
    ids = [7, 8, 9]
    await asyncio.gather(
        *(
            instance(handler, Update(update_id=update_id), {})
            for update_id in ids
            for instance in instances * 2
        )
    )
    assert sorted(handled) == ids
    async with postgres_database.transaction() as conn:
        assert await updates.prune(conn, utcnow()) == 0  # fresh ids are kept
        assert await updates.prune(conn, utcnow() + updates.KEEP * 2) == len(ids)
