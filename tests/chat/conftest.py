"""End-to-end harness: the real Dispatcher long-polls the local Bot API server over HTTP.

The seeded archive is built once per session (ingesting seeds/ is the slow part) and copied
for each test, so every test starts from the same fresh state.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_bot, build_dispatcher
from bot.config import Settings
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from localapi import DEFAULT_USER, LocalBotAPI

ADMIN = {"id": 4242, "is_bot": False, "first_name": "Админ", "language_code": "ru"}


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _build_template(path: Path) -> None:
    from bot.demo import seed_archive

    db = Database(sqlite_url(path))
    try:
        await upgrade(db)
        await seed_archive(db, Settings())
    finally:
        await db.close()  # the last connection closing folds the WAL into the file


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    asyncio.run(_build_template(path))
    return path


class UpdatesInFlight:
    """An outer update middleware counting updates being handled, transactions included, so a
    test can wait until what the bot did is committed rather than guess with sleeps."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler, event, data) -> Any:
        self._count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._count -= 1
            if not self._count:
                self._idle.set()

    async def idle(self) -> None:
        async with asyncio.timeout(10):
            await self._idle.wait()


@dataclass
class Harness:
    """The bot polling a local Bot API server; `say` and `press` act as a user."""

    api: LocalBotAPI
    db: Database
    settings: Settings
    in_flight: UpdatesInFlight
    user: dict[str, Any] = field(default_factory=lambda: DEFAULT_USER)
    admin: dict[str, Any] = field(default_factory=lambda: ADMIN)  # in SVODKA_ADMINS

    async def say(
        self, text: str, *, user: dict | None = None, chat: dict | None = None, count: int = 1
    ) -> list[dict]:
        """Send `text`; wait for at least `count` new messages in that chat, then for the bot
        to go quiet; return the new messages."""
        user = user or self.user
        chat_id = (chat or {"id": user["id"]})["id"]
        before = len(self.api.sent_messages(chat_id))
        self.api.inject_message(text, user=user, chat=chat)
        await self.api.wait_sent(chat_id, count=before + count)
        await self.settle()
        return self.api.sent_messages(chat_id)[before:]

    async def settle(self) -> None:
        """Wait until every update the bot has taken is handled and its transaction done."""
        await self.in_flight.idle()

    async def silence(
        self, text: str, *, user: dict | None = None, chat: dict | None = None
    ) -> list[dict]:
        """Send `text` and then /help; return what the bot sent before answering /help.
        A user's updates are handled in order, so an empty list means `text` got no answer."""
        user = user or self.user
        chat_id = (chat or {"id": user["id"]})["id"]
        before = len(self.api.sent_messages(chat_id))
        self.api.inject_message(text, user=user, chat=chat)
        self.api.inject_message("/help", user=user, chat=chat)
        sent = await self.api.wait_sent(chat_id, count=before + 1)
        while not sent[-1]["text"].startswith("Что я умею"):
            sent = await self.api.wait_sent(chat_id, count=len(sent) + 1)
        return sent[before:-1]

    async def press(self, message: dict, *, button: int = 0, data: str | None = None,
                    user: dict | None = None) -> dict:  # fmt: skip
        """Press an inline button; wait for the bot to answer the callback query; the
        answerCallbackQuery parameters."""
        before = len(self.api.calls_to("answerCallbackQuery"))
        self.api.inject_callback(message, button=button, data=data, user=user or self.user)
        calls = await self.api.wait_for("answerCallbackQuery", count=before + 1)
        await self.settle()
        return calls[-1].params

    def current(self, message: dict) -> dict:
        """A sent message as it is now, after edits."""
        return self.api.message(message["chat"]["id"], message["message_id"])


@asynccontextmanager
async def running_harness(
    template: Path, tmp_path: Path, **overrides: Any
) -> AsyncIterator[Harness]:
    """A copy of `template` as the database, a local server, and the Dispatcher polling it."""
    path = tmp_path / "bot.db"
    shutil.copyfile(template, path)
    async with LocalBotAPI() as api:
        settings = Settings(
            database_url=sqlite_url(path), telegram_api=api.base_url, admins={ADMIN["id"]},
            timezone="Europe/Moscow",
            **{"throttle_rate": 1000.0, "throttle_pending": 1000, **overrides},
        )  # fmt: skip
        db = Database(settings.database_url)
        bot = build_bot("123456:TEST", settings)
        dp = build_dispatcher(db, settings, services=[])
        in_flight = UpdatesInFlight()
        dp.update.outer_middleware(in_flight)  # registered last: innermost of the outer ones
        polling = asyncio.create_task(
            dp.start_polling(bot, handle_signals=False, polling_timeout=1)
        )
        await api.wait_for("setMyCommands", count=2)
        try:
            yield Harness(api, db, settings, in_flight)
        finally:
            await dp.stop_polling()
            await polling
            await db.close()


@pytest.fixture
async def harness(seeded_template, tmp_path) -> AsyncIterator[Harness]:
    async with running_harness(seeded_template, tmp_path) as running:
        yield running


@pytest.fixture
def harness_with(seeded_template, tmp_path):
    """`async with harness_with(throttle_rate=...) as harness:` for other settings."""
    return functools.partial(running_harness, seeded_template, tmp_path)
