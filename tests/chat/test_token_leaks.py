"""The token never reaches the output of `svodka run`, in either log format, when what stands
at SVODKA_TELEGRAM_API echoes the request URL (which holds the token) in an error page, or
sends every request round a redirect loop.

A small aiohttp server stands between the bot and the local Bot API server: it forwards most
calls and turns the chosen ones hostile.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from localapi import LocalBotAPI
from tests.chat.test_run import clean_env

pytestmark = pytest.mark.processes  # starts real svodka processes

TOKEN = "987654:LEAK-me_if-you_can"
SECRET = TOKEN.split(":")[1]


@asynccontextmanager
async def hostile_front(
    api: LocalBotAPI, *, echo: frozenset[str] = frozenset(), loop: frozenset[str] = frozenset()
) -> AsyncIterator[tuple[str, list[str]]]:
    """A server forwarding to `api`, except the methods in `echo` (a 502 page quoting the full
    URL) and in `loop` (a redirect to itself, forever). Yields its URL and the methods seen."""
    seen: list[str] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        seen.append(method)
        if method in echo:
            page = f"<html><h1>502 Bad Gateway</h1><p>upstream failed: {request.url}</p></html>"
            return web.Response(text=page, status=502, content_type="text/html")
        if method in loop:
            raise web.HTTPTemporaryRedirect(location=str(request.url))
        async with client.request(
            request.method,
            f"{api.base_url}{request.path_qs}",
            data=await request.read(),
            headers={"Content-Type": request.headers.get("Content-Type", "")},
        ) as answer:
            return web.Response(
                body=await answer.read(), status=answer.status, content_type="application/json"
            )

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", handle)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession() as client:
        try:
            yield f"http://{host}:{port}", seen
        finally:
            await runner.cleanup()


async def start_run(tmp_path, api_url: str, log_format: str) -> asyncio.subprocess.Process:
    env = clean_env(
        tmp_path, BOT_TOKEN=TOKEN, SVODKA_TELEGRAM_API=api_url, SVODKA_LOG_FORMAT=log_format
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


def assert_no_token(output: str, log_format: str) -> None:
    assert TOKEN not in output and SECRET not in output, output[-3000:]
    assert "987654" in output or "***" in output  # the URL was logged, hidden
    if log_format == "json":
        for line in output.splitlines():  # one object per line, tracebacks inside
            json.loads(line)


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize(
    ("hostile", "says"),
    [
        ({"echo": frozenset({"getMe"})}, "cannot run: ClientDecodeError"),
        ({"loop": frozenset({"getMe"})}, "cannot run: TelegramNetworkError"),
    ],
    ids=["error-page", "redirect-loop"],
)
async def test_a_hostile_answer_at_start_is_one_line_without_the_token(
    tmp_path, log_format, hostile, says
):
    async with LocalBotAPI() as api, hostile_front(api, **hostile) as (url, seen):
        process = await start_run(tmp_path, url, log_format)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    text = output.decode()
    assert process.returncode == 1, text[-3000:]
    assert "getMe" in seen
    assert_no_token(text, log_format)
    assert says in text


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_an_error_page_on_send_message_never_logs_the_token(tmp_path, log_format):
    async with (
        LocalBotAPI() as api,
        hostile_front(api, echo=frozenset({"sendMessage"})) as (
            url,
            seen,
        ),
    ):
        process = await start_run(tmp_path, url, log_format)
        try:
            await api.wait_for("setMyCommands", count=2, timeout=60)
            api.inject_message("/start")
            async with asyncio.timeout(20):
                # the answer, then "something went wrong"
                while seen.count("sendMessage") < 2:  # noqa: ASYNC110 (another process)
                    await asyncio.sleep(0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
    text = output.decode()
    assert process.returncode == 0, text[-3000:]
    assert "update 1 failed" in text
    assert_no_token(text, log_format)
