"""Webhook delivery of the local Bot API server, the way Telegram does it: each update in a
POST of its own to the URL given to setWebhook, with the secret in
X-Telegram-Bot-Api-Secret-Token, up to `max_connections` at once; an answer other than 2xx
(or none) and the update is posted again a little later."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

JSON = dict[str, Any]
RETRY_DELAY = 0.2  # seconds before an update whose POST failed is posted again
POST_TIMEOUT = 10.0


@dataclass(slots=True)
class Post:
    """One POST of an update: `status` is the HTTP status (None: no answer)."""

    update_id: int
    status: int | None
    at: float


@dataclass
class WebhookPoster:
    url: str
    secret: str | None
    max_connections: int
    next_batch: Callable[[set[int]], list[JSON]]  # pending updates not in the given ids
    confirm: Callable[[int], None]  # the update was accepted: forget it
    arrived: asyncio.Event  # set when updates are queued
    posts: list[Post] = field(default_factory=list)
    last_error: str | None = None
    last_error_at: int | None = None
    _task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="local-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret} if self.secret else {}
        timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT)
        in_flight: set[int] = set()
        slots = asyncio.Semaphore(self.max_connections)
        async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
            posting: set[asyncio.Task] = set()
            try:
                while True:
                    self.arrived.clear()
                    for update in self.next_batch(in_flight):
                        await slots.acquire()
                        in_flight.add(update["update_id"])
                        task = asyncio.create_task(self._post(session, update, in_flight, slots))
                        posting.add(task)
                        task.add_done_callback(posting.discard)
                    await self.arrived.wait()
            finally:
                for task in posting:
                    task.cancel()
                await asyncio.gather(*posting, return_exceptions=True)

    async def _post(
        self,
        session: aiohttp.ClientSession,
        update: JSON,
        in_flight: set[int],
        slots: asyncio.Semaphore,
    ) -> None:
        status = None
        try:
            async with session.post(self.url, json=update) as answer:
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as error:
            self._failed(f"Connection failed: {type(error).__name__}")
        finally:
            slots.release()
        self.posts.append(Post(update["update_id"], status, time.monotonic()))
        if status is not None and 200 <= status < 300:
            self.confirm(update["update_id"])
        else:
            if status is not None:
                self._failed(f"Wrong response from the webhook: {status}")
            await asyncio.sleep(RETRY_DELAY)
        in_flight.discard(update["update_id"])
        self.arrived.set()

    def _failed(self, message: str) -> None:
        self.last_error, self.last_error_at = message, int(time.time())
