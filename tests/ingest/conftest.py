from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from bot.config import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LocalSite:
    """An HTTP server on 127.0.0.1 serving what a test puts on it, recording every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[web.Request] = []
        self.base = ""

    def url(self, path: str) -> str:
        return self.base + path

    def serve(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> str:
        data = body.encode() if isinstance(body, str) else body

        async def handler(request: web.Request) -> web.Response:
            return web.Response(
                body=data,
                status=status,
                headers={"Content-Type": content_type, **(headers or {})},
            )

        return self.route(path, handler)

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def hits(self, path: str) -> list[web.Request]:
        return [request for request in self.requests if request.path == path]

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request)
        handler = self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="not found")
        return await handler(request)


@pytest.fixture
async def site():
    local = LocalSite()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", local.dispatch)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    host, port = runner.addresses[0][:2]
    local.base = f"http://{host}:{port}"
    yield local
    await runner.cleanup()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        allow_private_urls=True,
        fetch_timeout=1.0,
    )
