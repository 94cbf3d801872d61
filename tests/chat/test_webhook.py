"""`svodka run --webhook` as a real process: it sets the webhook at start, answers updates the
local server posts to it, refuses requests without the secret, and never deletes the webhook
when it stops; `svodka webhook info|delete` read and remove it."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from localapi import DEFAULT_USER, LocalBotAPI
from tests.chat.test_roles import start_run, stop
from tests.chat.test_run import clean_env, read_log, svodka

pytestmark = pytest.mark.processes  # starts real svodka processes

SECRET = "hook-secret_42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_webhook_mode_answers_posted_updates_and_keeps_the_webhook(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with LocalBotAPI() as api:
        process, log, env = await start_run(
            tmp_path,
            api,
            "webhook",
            "--webhook",
            SVODKA_LISTEN=f"127.0.0.1:{port}",
            SVODKA_WEBHOOK_URL=url,
            SVODKA_WEBHOOK_SECRET=SECRET,
        )
        try:
            [set_call] = await api.wait_for("setWebhook", timeout=60)
            api.inject_message("/start")
            [greeting] = await api.wait_sent(DEFAULT_USER["id"], timeout=20)
            async with aiohttp.ClientSession() as session:
                forged = {"update_id": 999, "message": {"text": "/start"}}
                async with session.post(url, json=forged) as without:
                    without_secret = without.status
                headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
                async with session.post(url, json=forged, headers=headers) as wrong:
                    wrong_secret = wrong.status
            code, info = await svodka("webhook", "info", env=env, cwd=tmp_path)
        finally:
            await stop(process)
        assert api.calls_to("deleteWebhook") == []  # other instances may still serve it
        assert api.calls_to("getUpdates") == []
        deleted, said = await svodka("webhook", "delete", env=env, cwd=tmp_path)
        assert api.webhook is None
    params = set_call.params
    assert (params["url"], params["secret_token"]) == (url, SECRET)
    assert params["max_connections"] == 40 and "message" in params["allowed_updates"]
    assert "channel_post" in params["allowed_updates"]  # an administered channel's posts
    assert "Сводка" in greeting["text"]
    assert (without_secret, wrong_secret) == (403, 403)
    assert len(api.sent_messages(DEFAULT_USER["id"])) == 1  # the forged updates did nothing
    assert code == 0 and f"url: {url}" in info
    assert deleted == 0 and "webhook deleted" in said
    assert process.returncode == 0
    output = read_log(log)
    assert SECRET not in output


async def test_webhook_mode_without_a_secret_exits_2_with_one_line(tmp_path):
    async with LocalBotAPI() as api:
        env = {
            **clean_env(tmp_path),
            "BOT_TOKEN": "123456:TEST",
            "SVODKA_TELEGRAM_API": api.base_url,
            "SVODKA_WEBHOOK_URL": "https://bot.example.org/hook",
        }
        code, output = await svodka("run", "--webhook", env=env, cwd=tmp_path)
    assert code == 2
    [line] = output.strip().splitlines()
    assert "SVODKA_WEBHOOK_SECRET" in line
