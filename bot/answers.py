"""Answers that arrive, and a user's change kept whether or not its answer does.

While an update is handled (`AnswerScope`, an outer update middleware, marks it in a context
variable), every Bot API call first commits the update's open transaction (`UpdateConnection`,
the `conn` of bot.middlewares.DatabaseMiddleware): no Telegram call ever waits inside a
transaction, and a change is stored before anyone is told about it. Statements after the call
open a new transaction, committed when the handler returns.

Answers (`ANSWERS`) made while handling an update are retried by `RetryAnswers`: a 429 waits
its `retry_after`, a server or network error is tried `SERVER_RETRIES` more times, all within
SVODKA_REPLY_DEADLINE seconds of the first try. An answer given up is counted in
`svodka_replies_failed_total{reason}` and logged in one line. Calls made outside updates (the
delivery sender, with 429 handling of its own) pass through untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot, methods
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import TelegramObject
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import metrics
from bot.storage.database import Database

logger = logging.getLogger(__name__)

# What the bot says to a person while handling their update.
ANSWERS = (
    methods.SendMessage,
    methods.EditMessageText,
    methods.EditMessageReplyMarkup,
    methods.EditMessageCaption,
    methods.EditMessageMedia,
    methods.AnswerCallbackQuery,
    methods.SendDocument,
    methods.SendPhoto,
)
SERVER_RETRIES = 2  # more tries after a 5xx or network error
SERVER_BACKOFF = 1.0  # seconds before the first of them; doubles


class UpdateConnection:
    """The `conn` of one handled update: a transaction opened (by `opener`, e.g.
    Database.transaction) at the first statement, ended by `commit()` and opened again by the
    next statement; `close(error)` ends it at the end of the handler (rolled back on error).
    Offers what handlers and storage use of AsyncConnection."""

    def __init__(
        self, db: Database, opener: Callable[[], AbstractAsyncContextManager[AsyncConnection]]
    ) -> None:
        self._db = db
        self._open = opener
        self._current: AbstractAsyncContextManager[AsyncConnection] | None = None
        self._conn: AsyncConnection | None = None

    @property
    def dialect(self) -> Dialect:
        return self._db.engine.dialect

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._connection()).execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._connection()).scalar(*args, **kwargs)

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._connection()).scalars(*args, **kwargs)

    async def exec_driver_sql(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._connection()).exec_driver_sql(*args, **kwargs)

    async def commit(self) -> None:
        """End the open transaction, if any, keeping what it did; its connection goes back to
        the pool."""
        await self.close(None)

    async def close(self, error: BaseException | None) -> None:
        current, self._current, self._conn = self._current, None, None
        if current is not None:
            await current.__aexit__(type(error) if error else None, error, None)

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            current = self._open()
            self._conn = await current.__aenter__()
            self._current = current
        return self._conn


@contextlib.asynccontextmanager
async def update_connection(
    db: Database, opener: Callable[[], AbstractAsyncContextManager[AsyncConnection]]
) -> AsyncIterator[UpdateConnection]:
    """An UpdateConnection for one handler, made known to the calls it makes to Telegram."""
    conn = UpdateConnection(db, opener)
    scope = _handling.get()
    if scope is not None:
        scope.connections.append(conn)
    try:
        yield conn
    except BaseException as error:
        await conn.close(error)
        raise
    else:
        await conn.commit()
    finally:
        if scope is not None:
            scope.connections.remove(conn)


class _Scope:
    """The update being handled in this context: the connections its handlers hold."""

    __slots__ = ("connections",)

    def __init__(self) -> None:
        self.connections: list[UpdateConnection] = []

    async def commit(self) -> None:
        for conn in self.connections:
            await conn.commit()


_handling: ContextVar[_Scope | None] = ContextVar("svodka_handling_update", default=None)


class AnswerScope(BaseMiddleware):
    """An outer update middleware: marks the calls made while handling the update."""

    async def __call__(self, handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        token = _handling.set(_Scope())
        try:
            return await handler(event, data)
        finally:
            _handling.reset(token)


class AnswerGivenUp(TelegramAPIError):
    """An answer that did not reach Telegram within the deadline or its retries (already
    counted and logged)."""


class RetryAnswers(BaseRequestMiddleware):
    """On the bot's session: commits before any call made while handling an update, and
    retries that update's answers (see the module's docstring)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    async def __call__(
        self, make_request: NextRequestMiddlewareType, bot: Bot, method: TelegramMethod
    ) -> Any:
        scope = _handling.get()
        if scope is None:
            return await make_request(bot, method)
        await scope.commit()
        if not isinstance(method, ANSWERS):
            return await make_request(bot, method)
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.deadline
        failures = 0
        last: TelegramAPIError
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                reason, wait, last = "retry_after", float(error.retry_after), error
            except TelegramServerError as error:
                failures += 1
                reason, wait, last = "server_error", SERVER_BACKOFF * 2 ** (failures - 1), error
            except TelegramNetworkError as error:
                failures += 1
                reason, wait, last = "network", SERVER_BACKOFF * 2 ** (failures - 1), error
            if failures > SERVER_RETRIES or loop.time() + wait > give_up_at:
                raise self._give_up(method, reason, last) from last
            await asyncio.sleep(wait)

    @staticmethod
    def _give_up(method: TelegramMethod, reason: str, error: TelegramAPIError) -> AnswerGivenUp:
        metrics.reply_failed(reason)
        name = type(method).__name__
        logger.warning("answer %s given up (%s): %s", name, reason, " ".join(str(error).split()))
        return AnswerGivenUp(method, f"{reason}: {error.message}")
