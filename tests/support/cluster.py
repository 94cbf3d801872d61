"""Several real `svodka run` processes against the local Bot API server, for the multi-process
test and bench/scale.py: a round-robin load balancer in front of webhook instances, and a
launcher that stops (or kills) every process it started, and only those."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.schema import deliveries, workers

STOP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def site(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on a free port of 127.0.0.1; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


class RoundRobin:
    """The load balancer: each POST goes to the next backend, headers and body as they came;
    a backend that does not answer makes it answer 502 (so the server posts the update
    again)."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.turn = 0
        self.served: Counter[str] = Counter()
        self._session: aiohttp.ClientSession | None = None

    def app(self, path: str) -> web.Application:
        app = web.Application()
        app.router.add_post(path, self.forward)
        app.on_cleanup.append(self._close)
        return app

    async def forward(self, request: web.Request) -> web.Response:
        backend = self.backends[self.turn % len(self.backends)]
        self.turn += 1
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower().startswith("x-telegram") or key.lower() == "content-type"
        }
        try:
            async with self._session.post(
                backend + request.path, data=await request.read(), headers=headers
            ) as answer:
                self.served[backend] += 1
                return web.Response(status=answer.status, body=await answer.read())
        except aiohttp.ClientError:
            return web.Response(status=502)

    async def _close(self, app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()


class Processes:
    """`svodka run` processes, each logging to a file of its own; `stop_all` sends SIGTERM to
    those still running and kills any that outlive STOP_TIMEOUT."""

    def __init__(self, workdir: Path, env: dict[str, str], *, cwd: Path) -> None:
        self.workdir = workdir
        self.env = env
        self.cwd = cwd
        self.logs: dict[int, Path] = {}
        self.started: list[asyncio.subprocess.Process] = []

    async def start(self, name: str, *args: str, **env: str) -> asyncio.subprocess.Process:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", *args, cwd=self.cwd, env={**self.env, **env},
                stdout=output, stderr=output,
            )  # fmt: skip
        self.started.append(process)
        self.logs[process.pid] = log
        return process

    def log(self, process: asyncio.subprocess.Process) -> str:
        return self.logs[process.pid].read_text(errors="replace")

    async def wait_logged(self, process, phrase: str, *, within: float = 120) -> None:
        async with asyncio.timeout(within):
            while phrase not in self.log(process):
                if process.returncode is not None:
                    raise RuntimeError(f"svodka exited: {self.log(process)[-3000:]}")
                await asyncio.sleep(0.1)

    async def stop_all(self) -> None:
        for process in self.started:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()


async def sending_worker(db: Database) -> tuple[int, list[int]]:
    """The process id of the worker holding claimed outbox rows (the sender), and those rows."""
    async with db.read() as conn:
        pid, worker_id = (
            await conn.execute(
                select(workers.c.pid, workers.c.id)
                .join(deliveries, deliveries.c.claimed_by == workers.c.id)
                .limit(1)
            )
        ).one()
        claimed = await conn.scalars(
            select(deliveries.c.id).where(deliveries.c.claimed_by == worker_id)
        )
        return pid, list(claimed)
