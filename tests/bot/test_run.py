"""`svodka run` as a real process against the local Bot API server, and its configuration
errors."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys

import pytest

from bot.localapi import DEFAULT_USER, LocalBotAPI

TOKEN = "123456:SECRET-token_value"
TOKAYEV = "Алматы необходимо развивать креативную экономику, считает Токаев"


def sqlite_url(path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def clean_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key != "BOT_TOKEN" and not key.startswith("SVODKA_")}  # fmt: skip
    return {**env, "SVODKA_DATABASE_URL": sqlite_url(tmp_path / "run.db"), **extra}


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


async def test_run_answers_start_and_latest_then_stops_on_sigint(tmp_path, seeded_template):
    shutil.copyfile(seeded_template, tmp_path / "run.db")
    async with LocalBotAPI() as api:
        env = clean_env(tmp_path, BOT_TOKEN=TOKEN, SVODKA_TELEGRAM_API=api.base_url)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await api.wait_for("setMyCommands", count=2, timeout=60)
            api.inject_message("/start")
            api.inject_message("/latest")
            greeting, latest = await api.wait_sent(DEFAULT_USER["id"], count=2, timeout=20)
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert "Сводка" in greeting["text"]
    assert TOKAYEV in latest["text"]
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert TOKEN not in stderr.decode() and TOKEN.split(":")[1] not in stderr.decode()
    assert "Run polling" in stderr.decode()
