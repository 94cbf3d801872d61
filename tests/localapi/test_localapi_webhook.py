"""The local server's webhook: one POST per update with the secret header, retried until a
2xx, getUpdates refused with 409 while a webhook is set."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from localapi import LocalBotAPI

TOKEN = "123456:TEST"


async def call(api: LocalBotAPI, method: str, **params) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{api.base_url}/bot{TOKEN}/{method}", data=params) as answer,
    ):
        return answer.status, await answer.json()


async def test_updates_are_posted_one_by_one_with_the_secret_and_retried_until_2xx():
    received: list[tuple[str | None, dict]] = []
    answers = iter([500, 200, 200])

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=next(answers))

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with LocalBotAPI() as api:
            url = f"http://{host}:{port}/hook"
            assert await call(api, "setWebhook", url=url, secret_token="s3cret") == (
                200,
                {"ok": True, "result": True},
            )
            first = api.inject_message("/start")
            second = api.inject_message("/latest")
            async with asyncio.timeout(10):
                while len(received) < 3:  # noqa: ASYNC110 (the server posts in the background)
                    await asyncio.sleep(0.02)
            status, refused = await call(api, "getUpdates")
            _, info = await call(api, "getWebhookInfo")
            await call(api, "deleteWebhook")
            after, updates = await call(api, "getUpdates", timeout="0")
    finally:
        await runner.cleanup()
    assert all(secret == "s3cret" for secret, _ in received)
    posted = [update["update_id"] for _, update in received]
    assert sorted(posted) == sorted([first["update_id"], first["update_id"], second["update_id"]])
    assert (status, refused["error_code"]) == (409, 409)
    assert "webhook is active" in refused["description"]
    assert info["result"]["url"] == url and info["result"]["pending_update_count"] == 0
    assert "Wrong response from the webhook: 500" in info["result"]["last_error_message"]
    assert (after, updates["result"]) == (200, [])  # polling works again, nothing left over
