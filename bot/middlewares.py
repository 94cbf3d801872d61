"""Per-update plumbing: drop repeated updates, pace chatty users (and drop their floods), let
only a group's admins change its settings, open a DB transaction.

Handlers declare what they need from the database with a flag, and the transaction is opened
and committed (or rolled back on error) here, around the handler:
    @router.message(Command("subscribe"), flags=WRITE)   # BEGIN IMMEDIATE, `conn`
    @router.message(Command("latest"))                   # default: a read transaction, `conn`
    @router.message(Command("add"), flags=NO_DB)         # the handler uses `db` itself
    @router.message(Command("schedule"), flags=CONFIGURE) # a write; in groups, admins only
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.flags import get_flag
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User
from aiogram.types.update import UpdateTypeLookupError

from bot import metrics, texts
from bot.answers import update_connection
from bot.permissions import may_configure
from bot.storage import updates
from bot.storage.database import Database
from bot.storage.schema import utcnow

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

WRITE = {"db": "write"}
NO_DB = {"db": None}
CONFIGURE = {**WRITE, "configures_chat": True}
PRUNE_EVERY = 1000  # update ids apart: old recorded ids are deleted about this often


class DedupMiddleware(BaseMiddleware):
    """Handles each update_id once: a server may deliver the same update again (a retried
    getUpdates or webhook call, a restart between answering and confirming the offset).

    Ids are remembered in memory, and with `shared` (several bot instances on PostgreSQL) also
    in the database, where the first instance to record an id is the one that acts on it.
    Recorded before handling: an update whose handling fails is not acted on again.
    """

    def __init__(self, remember: int = 10_000, *, shared: Database | None = None) -> None:
        self.remember = remember
        self.shared = shared
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if event.update_id in self._seen:
            return None
        self._seen[event.update_id] = None
        if len(self._seen) > self.remember:
            self._seen.popitem(last=False)
        if self.shared is not None and not await self._take(self.shared, event.update_id):
            return None
        return await handler(event, data)

    @staticmethod
    async def _take(shared: Database, update_id: int) -> bool:
        now = utcnow()
        async with shared.transaction() as conn:
            taken = await updates.take(conn, update_id, now)
            if update_id % PRUNE_EVERY == 0:
                await updates.prune(conn, now)
        return taken


@dataclass
class _Pace:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tokens: float = 0.0
    updated: float = 0.0
    pending: int = 0  # updates taken and not finished, the one being handled included
    answers: int = 0  # messages sent to the user's chat while handling the current update
    warned: float = -math.inf  # when the user was last told their updates are being dropped


class ThrottleMiddleware(BaseMiddleware):
    """A token bucket per user: `burst` updates at once, then `rate` a second.

    Updates over the rate wait for their turn, and a user's updates are handled one at a time
    in arrival order (asyncio.Lock wakes waiters first in, first out, and nothing awaits
    between the update's arrival and this lock). A message beyond the first that an update
    sends to the user's private chat costs a token too (`count_answer`), so a user's answers
    keep to the rate, which is Telegram's per-chat pace by default.

    A user who has `max_pending` updates waiting already (a flood) has the next ones dropped:
    the flood costs neither memory nor other users' turns. They are told so at most once a
    WARN_EVERY seconds.
    """

    WARN_EVERY = 60.0

    def __init__(
        self, rate: float, burst: int, *, max_pending: int = 10, forget_after: float = 300.0
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_pending = max_pending
        self.forget_after = forget_after
        self._users: dict[int, _Pace] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        pace = self._users.get(user.id)
        if pace is None:
            self._forget_idle()
            pace = self._users[user.id] = _Pace(tokens=self.burst, updated=time.monotonic())
        if pace.pending >= self.max_pending:
            return await self._refuse(pace, data)
        pace.pending += 1
        try:
            async with pace.lock:
                await asyncio.sleep(self._wait(pace))
                pace.answers = 0
                return await handler(event, data)
        finally:
            pace.pending -= 1

    def count_answer(self, chat_id: int | str) -> None:
        """A message is going to `chat_id`: charge its user if it is a private chat in the
        middle of an update and not the update's first answer."""
        pace = self._users.get(chat_id) if isinstance(chat_id, int) else None
        if pace is None or not pace.lock.locked():
            return
        pace.answers += 1
        if pace.answers > 1:
            pace.tokens -= 1

    async def _refuse(self, pace: _Pace, data: dict[str, Any]) -> None:
        now = time.monotonic()
        chat: Chat | None = data.get("event_chat")
        if chat is None or now - pace.warned < self.WARN_EVERY:
            return
        pace.warned = now
        with contextlib.suppress(TelegramAPIError):  # the flood goes on either way
            await data["bot"].send_message(chat.id, texts.TOO_MANY_MESSAGES)

    def _wait(self, pace: _Pace) -> float:
        """Take a token; the seconds until it is really there."""
        now = time.monotonic()
        pace.tokens = min(self.burst, pace.tokens + (now - pace.updated) * self.rate) - 1
        pace.updated = now
        return max(0.0, -pace.tokens / self.rate)

    def _forget_idle(self) -> None:
        now = time.monotonic()
        idle = [
            user_id
            for user_id, pace in self._users.items()
            if not pace.lock.locked() and now - pace.updated > self.forget_after
        ]
        for user_id in idle:
            del self._users[user_id]


class CountAnswers(BaseRequestMiddleware):
    """Tells the throttle about every message the bot sends, whoever sends it."""

    def __init__(self, throttle: ThrottleMiddleware) -> None:
        self.throttle = throttle

    async def __call__(
        self, make_request: NextRequestMiddlewareType, bot: Bot, method: TelegramMethod
    ) -> Any:
        if isinstance(method, SendMessage):
            self.throttle.count_answer(method.chat_id)
        return await make_request(bot, method)


class UpdatesInFlight(BaseMiddleware):
    """Counts and times each handled update by its type, for /metrics, and knows how many are
    being handled, so a graceful stop lets them finish."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        try:
            kind = event.event_type
        except UpdateTypeLookupError:  # a kind newer than this aiogram: counted, not handled
            metrics.update_handled("unknown", 0.0)
            return UNHANDLED
        started = time.perf_counter()
        self.count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            metrics.update_handled(kind, time.perf_counter() - started)
            self.count -= 1
            if not self.count:
                self._idle.set()

    async def idle(self) -> None:
        """Return once no update is being handled."""
        await self._idle.wait()


class DatabaseMiddleware(BaseMiddleware):
    """A transaction per handled event, as `conn`; the handler's `db` flag picks its kind.
    It opens at the first statement and is committed before any Telegram call the handler
    makes (bot.answers.UpdateConnection), so no answer waits inside it."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        mode = get_flag(data, "db", default="read")
        if mode is None:
            return await handler(event, data)
        db: Database = data["db"]
        opener = db.transaction if mode == "write" else db.read
        # Committed before each Telegram call the handler makes (bot.answers), and at the end.
        async with update_connection(db, opener) as conn:
            data["conn"] = conn
            return await handler(event, data)


class ChatAdminMiddleware(BaseMiddleware):
    """Handlers flagged CONFIGURE change a chat's subscriptions or settings: anyone may in their
    private chat, only administrators in a group. Others are told so, and nothing is opened."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not get_flag(data, "configures_chat"):
            return await handler(event, data)
        if isinstance(event, CallbackQuery):
            assert event.message is not None  # the bot sends no inline-mode messages
            chat, sender_chat = event.message.chat, None
        else:
            assert isinstance(event, Message)
            chat, sender_chat = event.chat, event.sender_chat
        if await may_configure(data["bot"], chat, event.from_user, sender_chat):
            return await handler(event, data)
        if isinstance(event, CallbackQuery):
            return await event.answer(texts.ONLY_ADMINS, show_alert=True)
        return await event.answer(texts.ONLY_ADMINS)
