"""`svodka fake-telegram`: the control API of the local Bot API server, and a rehearsal of two
real processes (the fake server and `svodka run`) driven through it, with no code."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import aiohttp
import pytest

from localapi import LocalBotAPI
from localapi.control import control_routes
from tests.chat.test_run import clean_env
from tests.support.cluster import free_port

TOKEN = "123456:TEST"


@pytest.fixture
async def fake():
    api = LocalBotAPI()
    await api.start(routes=control_routes(api))
    async with aiohttp.ClientSession(api.base_url) as session:
        yield api, session
    await api.stop()


async def call(session, method: str, path: str, body: object = None, **query) -> tuple[int, dict]:
    async with session.request(method, path, json=body, params=query) as answer:
        return answer.status, await answer.json()


async def bot_says(session, chat_id: int, text: str, **extra) -> dict:
    async with session.post(
        f"/bot{TOKEN}/sendMessage", data={"chat_id": str(chat_id), "text": text, **extra}
    ) as answer:
        return await answer.json()


async def test_messages_buttons_and_what_the_bot_sent(fake):
    api, session = fake
    status, sent = await call(session, "POST", "/control/message", {"text": "/start", "user_id": 7})
    assert status == 200 and sent["ok"]
    [update] = api.pending_updates()
    assert update["message"]["text"] == "/start" and update["message"]["from"]["id"] == 7
    markup = json.dumps({"inline_keyboard": [[{"text": "Да", "callback_data": "yes"}]]})
    reply = await bot_says(session, 7, "Привет", reply_markup=markup)
    _, seen = await call(session, "GET", "/control/sent", chat_id="7")
    [shown] = seen["calls"]
    assert (shown["method"], shown["text"], shown["chat_id"]) == ("sendMessage", "Привет", 7)
    assert shown["buttons"] == [[{"text": "Да", "data": "yes"}]]
    _, later = await call(session, "GET", "/control/sent", after=str(seen["next"]))
    assert later["calls"] == []
    message_id = reply["result"]["message_id"]
    status, _ = await call(
        session, "POST", "/control/press", {"chat_id": 7, "message_id": message_id, "user_id": 7}
    )
    assert status == 200
    assert api.pending_updates()[-1]["callback_query"]["data"] == "yes"


async def test_limits_and_faults(fake):
    _, session = fake
    assert (await call(session, "PUT", "/control/limits", {"per_chat": 1}))[0] == 200
    first, second = [await bot_says(session, 5, "раз") for _ in range(2)]
    assert first["ok"] and second["error_code"] == 429
    assert (await call(session, "PUT", "/control/limits", {}))[1]["limits"] == {}
    body = {"kind": "forbidden", "chat_id": 6, "times": None}
    assert (await call(session, "POST", "/control/faults", body))[1]["faults"] == 1
    assert (await bot_says(session, 6, "раз"))["error_code"] == 403
    assert (await bot_says(session, 5, "раз"))["ok"]
    _, seen = await call(session, "GET", "/control/sent", chat_id="6")
    assert seen["calls"][-1]["error"] == "Forbidden: bot was blocked by the user"
    assert (await call(session, "DELETE", "/control/faults"))[1]["faults"] == 0
    assert (await bot_says(session, 6, "раз"))["ok"]


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("/control/message", {"text": ""}, "text: expected 1 to 4096 characters"),
        ("/control/message", {"text": "x", "user_id": "7"}, "user_id: expected an integer"),
        ("/control/message", {}, "missing field 'text'"),
        ("/control/message", [1], "expected a JSON object"),
        ("/control/press", {"chat_id": 1, "message_id": 99}, "no message 99 in chat 1"),
        ("/control/faults", {"kind": "meteor"}, "kind: one of retry_after, forbidden"),
    ],
)
async def test_bad_control_requests_are_one_line_400s(fake, path, body, error):
    _, session = fake
    status, answer = await call(session, "POST", path, body)
    assert status == 400 and answer["error"].startswith(error), answer
    assert "\n" not in answer["error"]


@pytest.mark.processes
async def test_a_rehearsal_through_the_program(tmp_path):
    """`svodka fake-telegram` and `svodka run` as processes; a user's /start through the
    control API is answered."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = clean_env(tmp_path, BOT_TOKEN=TOKEN, SVODKA_TELEGRAM_API=url)
    started = []
    log = tmp_path / "run.log"
    try:
        started.append(await start(tmp_path, env, "fake-telegram", "--listen", f"127.0.0.1:{port}"))
        line = await asyncio.wait_for(started[0].stdout.readline(), 60)
        assert line.decode().startswith(f"fake Telegram at {url}")
        with log.open("wb") as output:
            started.append(await start(tmp_path, env, "run", output=output))
        async with aiohttp.ClientSession(url) as session:
            assert (await call(session, "POST", "/control/message", {"text": "/start"}))[0] == 200
            async with asyncio.timeout(90):
                while not await answered(session):  # noqa: ASYNC110 (another process)
                    await asyncio.sleep(0.2)
    finally:
        for process in started:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
    assert [process.returncode for process in started] == [0, 0], log.read_text()[-2000:]


async def answered(session) -> bool:
    return bool((await call(session, "GET", "/control/sent", chat_id="1001"))[1]["calls"])


async def start(cwd, env, *args: str, output=asyncio.subprocess.PIPE):
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
        stdout=output, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
