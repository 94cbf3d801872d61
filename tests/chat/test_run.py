"""`svodka run` as a real process against the local Bot API server, and its configuration
errors."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from localapi import DEFAULT_USER, LocalBotAPI

pytestmark = pytest.mark.processes  # starts real svodka processes

TOKEN = "123456:SECRET-token_value"
TOKAYEV = "Алматы необходимо развивать креативную экономику, считает Токаев"


def sqlite_url(path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def clean_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key != "BOT_TOKEN" and not key.startswith("SVODKA_")}  # fmt: skip
    return {
        **env,
        "SVODKA_DATABASE_URL": sqlite_url(tmp_path / "run.db"),
        "SVODKA_LISTEN": "127.0.0.1:0",  # a free port: tests never take 8080
        **extra,
    }


def read_log(log: Path) -> str:
    return log.read_text(encoding="utf-8")


async def listening_url(log: Path, process: asyncio.subprocess.Process) -> str:
    """The URL `svodka run` says it serves /healthz on, read from its log file."""
    async with asyncio.timeout(60):
        while not (found := re.search(r"listening on (http://\S+)", read_log(log))):
            assert process.returncode is None, read_log(log)[-2000:]
            await asyncio.sleep(0.1)
    return found.group(1)


async def svodka(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    stdout, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, stdout.decode()


@pytest.mark.parametrize(
    ("token", "says"),
    [(None, "BOT_TOKEN is not set"), ("not-a-token", "BOT_TOKEN is malformed")],
)
async def test_run_without_a_valid_token_exits_2_with_one_line(tmp_path, token, says):
    env = clean_env(tmp_path, **({"BOT_TOKEN": token} if token else {}))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines
    assert stdout == b""


async def test_run_answers_start_and_latest_is_ready_then_stops_on_sigint(
    tmp_path, seeded_template
):
    shutil.copyfile(seeded_template, tmp_path / "run.db")
    log = tmp_path / "run.log"
    async with LocalBotAPI() as api:
        env = clean_env(tmp_path, BOT_TOKEN=TOKEN, SVODKA_TELEGRAM_API=api.base_url)
        with log.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=stderr,
            )  # fmt: skip
        try:
            url = await listening_url(log, process)
            await api.wait_for("setMyCommands", count=2, timeout=60)
            api.inject_message("/start")
            api.inject_message("/latest")
            greeting, latest = await api.wait_sent(DEFAULT_USER["id"], count=2, timeout=20)
            async with aiohttp.ClientSession() as session, session.get(f"{url}/readyz") as ready:
                assert (ready.status, await ready.json()) == (200, {"ready": True})
            health_env = {**env, "SVODKA_LISTEN": url.removeprefix("http://")}
            assert await svodka("health", env=health_env, cwd=tmp_path) == (
                0,
                f"ready: {url}/readyz\n",
            )
        finally:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.communicate(), 30)
    stderr = read_log(log)
    assert "Сводка" in greeting["text"]
    assert TOKAYEV in latest["text"]
    assert process.returncode == 0, stderr[-2000:]
    assert TOKEN not in stderr and TOKEN.split(":")[1] not in stderr
    assert "Run polling" in stderr
