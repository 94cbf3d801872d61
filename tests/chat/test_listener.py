"""The listener faces whoever can reach it: idle and half-sent connections are closed, a slow
body is cut off, idle connections past the cap make way for new ones, a malformed webhook
secret is a quiet 403, and an update of a kind this aiogram does not know is answered and
counted without leaking the in-flight count."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sys
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from bot import texts
from bot.app import add_webhook, build_bot, build_dispatcher
from bot.config import Settings
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.web import build_app, serving
from localapi import DEFAULT_USER, LocalBotAPI
from tests.chat.test_roles import stop
from tests.chat.test_run import TOKEN, clean_env, listening_url, read_log

ANY_PORT = ("127.0.0.1", 0)
SECRET = "hook-secret_42"


@pytest.fixture
async def migrated(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}")
    await upgrade(db)
    yield db
    await db.close()


async def connect(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(url)
    return await asyncio.open_connection(parts.hostname, parts.port)


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """Whether the server closes the connection (after any answer) within `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(4096):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


async def request(url: str, head: bytes, body: bytes = b"") -> int:
    """Send raw request lines (and a body) on a connection of its own; the answer's status."""
    reader, writer = await connect(url)
    writer.write(head + b"\r\nConnection: close\r\n\r\n" + body)
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    return int(status_line.split()[1])


async def test_idle_and_half_sent_connections_are_closed(migrated, monkeypatch):
    monkeypatch.setattr("bot.web.IDLE_TIMEOUT", 0.5)
    async with serving(build_app(migrated), ANY_PORT) as url:
        idle, _ = await connect(url)
        half, half_writer = await connect(url)
        half_writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        assert await closed_within(idle, 5) and await closed_within(half, 5)


async def test_a_body_slower_than_the_request_timeout_gets_408(migrated, monkeypatch):
    monkeypatch.setattr("bot.web.REQUEST_TIMEOUT", 0.5)

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = build_app(migrated)
    app.router.add_post("/echo", echo)
    async with serving(app, ANY_PORT) as url:
        head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100"
        assert await request(url, head, b"only ten b") == 408


async def test_idle_connections_past_the_cap_make_way(migrated, monkeypatch):
    monkeypatch.setattr("bot.web.MAX_CONNECTIONS", 5)
    async with serving(build_app(migrated), ANY_PORT) as url:
        idle = [await connect(url) for _ in range(20)]
        assert await request(url, b"GET /healthz HTTP/1.1\r\nHost: x") == 200
        still_open = [reader for reader, _ in idle if not await closed_within(reader, 0.05)]
        assert len(still_open) <= 5
        for _, writer in idle:
            writer.close()


@pytest.fixture
async def webhook(migrated, bot_api: LocalBotAPI):
    """An in-process webhook listener: (its URL, the dispatcher)."""
    settings = Settings(
        telegram_api=bot_api.base_url, webhook_url="http://127.0.0.1/hook", webhook_secret=SECRET,
        listen="127.0.0.1:0",
    )  # fmt: skip
    bot = build_bot("123456:TEST", settings)
    dp = build_dispatcher(migrated, settings, services=[])
    app = build_app(migrated)
    add_webhook(app, dp, bot, settings)
    async with serving(app, ANY_PORT) as url:
        yield url, dp


def post_head(secret: bytes, body: bytes) -> bytes:
    return (
        b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"X-Telegram-Bot-Api-Secret-Token: " + secret
    )


@pytest.mark.parametrize(
    "secret",
    ["секрет".encode(), b"\xff\xfe", SECRET.encode() + "я".encode(), b"x" * 4000, b""],
    ids=["cyrillic", "not-utf8", "secret-and-more", "long", "empty"],
)
async def test_a_malformed_secret_is_a_quiet_403(webhook, secret, caplog):
    url, _ = webhook
    body = json.dumps({"update_id": 1, "message": {"text": "/start"}}).encode()
    assert await request(url, post_head(secret, body), body) == 403
    assert not [record for record in caplog.records if record.exc_info]


async def test_an_update_of_an_unknown_kind_is_answered_counted_and_let_go(webhook, caplog):
    url, dp = webhook
    labels = {"role": "all", "type": "unknown"}
    before = REGISTRY.get_sample_value("svodka_updates_total", labels) or 0.0
    body = json.dumps({"update_id": 7, "purchased_paid_media_v9": {"id": 1}}).encode()
    assert await request(url, post_head(SECRET.encode(), body), body) == 200
    async with asyncio.timeout(5):
        while REGISTRY.get_sample_value("svodka_updates_total", labels) != before + 1:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    assert dp["updates_in_flight"].count == 0
    assert not [record for record in caplog.records if record.exc_info]


IDLE_CONNECTIONS = 1100  # more than the process may open files


async def open_idle(url: str, count: int) -> list[asyncio.StreamWriter]:
    """`count` connections that never send a request (those the server closes included)."""
    writers = []
    for _ in range(count):
        with contextlib.suppress(OSError, TimeoutError):
            _, writer = await asyncio.wait_for(connect(url), 2)
            writers.append(writer)
    return writers


@pytest.mark.processes
@pytest.mark.skipif(not shutil.which("prlimit"), reason="needs prlimit (util-linux)")
async def test_idle_connections_past_the_file_limit_leave_health_and_answers(tmp_path):
    log = tmp_path / "run.log"
    async with LocalBotAPI() as api:
        env = clean_env(tmp_path, BOT_TOKEN=TOKEN, SVODKA_TELEGRAM_API=api.base_url)
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                "prlimit", "--nofile=1024", sys.executable, "-m", "bot", "run",
                cwd=tmp_path, env=env, stdout=output, stderr=output,
            )  # fmt: skip
        writers: list[asyncio.StreamWriter] = []
        try:
            url = await listening_url(log, process)
            await api.wait_for("setMyCommands", count=2, timeout=60)
            async with asyncio.timeout(60):
                writers = await open_idle(url, IDLE_CONNECTIONS)
                assert await request(url, b"GET /healthz HTTP/1.1\r\nHost: x") == 200
                api.inject_message("/latest")
                [latest] = await api.wait_sent(DEFAULT_USER["id"], timeout=20)
        finally:
            for writer in writers:
                writer.close()
            await stop(process)
    assert len(writers) == IDLE_CONNECTIONS  # each was accepted (and the oldest let go)
    assert latest["text"] != texts.SOMETHING_WRONG
    assert "Too many open files" not in read_log(log)
