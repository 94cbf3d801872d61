"""Sending one outbox row, and what to do about every error Telegram can answer with.

| Telegram says                          | the sender                                        |
|----------------------------------------|---------------------------------------------------|
| TelegramRetryAfter (429)               | pauses the chat (and the whole bot when several   |
|                                        | chats hit it at once) for retry_after, then the   |
|                                        | row is retried; not counted as a failed attempt   |
| TelegramForbiddenError (403)           | chat inactive with the reason, pending rows       |
|                                        | dropped                                           |
| TelegramMigrateToChat                  | moves the chat (subscriptions and rows follow)    |
|                                        | to the supergroup's id and resends there          |
| TelegramBadRequest "chat not found"    | as 403                                            |
| TelegramBadRequest "can't parse ...",  | resends the message as plain text                 |
| "Unsupported URL protocol"             |                                                   |
| other TelegramBadRequest               | failed: retrying would get the same answer        |
| server, network, timeout, other errors | exponential backoff with jitter, at most          |
|                                        | delivery_max_attempts, then failed                |

A row is marked sent only after Telegram confirmed it, each message of a multi-message row on
its own, so a crash between a send and its mark repeats that one message and nothing else.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypedDict

from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import LinkPreviewOptions, Message, MessageEntity

from bot import metrics
from bot.config import Settings
from bot.delivery.limiter import Limiter
from bot.delivery.outbox import Outbox
from bot.logs import redact, secret_parts
from bot.storage.deliveries import Delivery
from bot.supervisor import backoff
from bot.telegram_errors import is_chat_gone, is_parse_error

GLOBAL_FLOOD_WINDOW = 1.0  # seconds: 429s in two chats this close mean the bot as a whole


class SendKwargs(TypedDict):
    """The arguments of sendMessage that an Outgoing fills in."""

    text: str
    entities: list[MessageEntity] | None
    parse_mode: None
    link_preview_options: LinkPreviewOptions


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message: text with entities (never a parse mode, so web text is never markup)."""

    text: str
    entities: list[MessageEntity] | None = None
    preview: bool = True
    preview_url: str | None = None  # the link to preview (the story's first); None: Telegram's

    def send_kwargs(self, *, plain: bool) -> SendKwargs:
        options = LinkPreviewOptions(is_disabled=not self.preview)
        if self.preview and self.preview_url:
            options = LinkPreviewOptions(is_disabled=False, url=self.preview_url)
        return {
            "text": self.text,
            "entities": None if plain else self.entities,
            "parse_mode": None,
            "link_preview_options": options,
        }


Compose = Callable[[Delivery], Awaitable[list[Outgoing]]]


class ChatState(Protocol):
    """What the sender changes about chats when Telegram says they went away or moved."""

    async def deactivate(self, chat_id: int, reason: str) -> None:
        """Mark the chat inactive with the reason and drop its pending rows."""

    async def migrate(self, old_id: int, new_id: int) -> None:
        """Move the chat, its subscriptions and its rows to the new id."""


def is_permanent(error: AiogramError) -> bool:
    """A request Telegram rejected as such: the same request would be rejected again."""
    return isinstance(error, TelegramBadRequest)


def outcome(error: AiogramError) -> str:
    """A failed send as /metrics counts it: 429, 403, 4xx, 5xx or network (anything that is
    not an answer from Telegram: timeouts, lost connections, a page that is not its JSON)."""
    if isinstance(error, TelegramRetryAfter):
        return "429"
    if isinstance(error, TelegramForbiddenError):
        return "403"
    if isinstance(error, TelegramServerError):
        return "5xx"
    if isinstance(error, TelegramAPIError) and not isinstance(error, TelegramNetworkError):
        return "4xx"
    return "network"


class FloodWatch:
    """Tells a 429 of one chat from the whole bot being over its limit: several chats."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._now = monotonic
        self._recent: deque[tuple[float, int]] = deque()

    def is_global(self, chat_id: int) -> bool:
        now = self._now()
        self._recent.append((now, chat_id))
        while self._recent[0][0] < now - GLOBAL_FLOOD_WINDOW:
            self._recent.popleft()
        return len({chat for _, chat in self._recent}) > 1


class Sender:
    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        limiter: Limiter,
        chats: ChatState,
        compose: Compose,
        settings: Settings,
        *,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.bot = bot
        self.outbox = outbox
        self.limiter = limiter
        self.chats = chats
        self.compose = compose
        self.settings = settings
        self.rand = rand
        self.flood = FloodWatch()
        self.moved: dict[int, int] = {}  # groups that became supergroups: old id -> new id

    async def deliver(self, row: Delivery) -> bool:
        """Send the row's messages from the first unconfirmed one and record the outcome.

        False when the chat must get nothing more for now (it is gone, or Telegram asked to
        wait), so the caller skips its other rows: the database already dropped or postponed
        them.
        """
        messages = await self.compose(row)
        if not messages:
            await self.outbox.fail(row, "nothing to send: the article is gone")
            return True
        chat_id = self.moved.get(row.chat_id, row.chat_id)  # rows claimed before a move
        part, plain, moved = row.parts_sent, False, False
        # Each pass sends one message or handles one error; a resend as plain text and a move
        # to a supergroup happen at most once each, so the loop ends.
        while part < len(messages):
            await self.limiter.acquire(chat_id, row.chat_kind)
            try:
                sent = await self._send(chat_id, messages[part], plain=plain)
            except TelegramMigrateToChat as error:
                if moved:
                    await self.outbox.fail(row, self._reason(error))
                    return False
                await self.chats.migrate(chat_id, error.migrate_to_chat_id)
                self.moved[chat_id] = error.migrate_to_chat_id
                chat_id, moved = error.migrate_to_chat_id, True
                continue
            except TelegramAPIError as error:
                if is_parse_error(error) and not plain:
                    plain = True
                    continue
                return await self._settle(row, chat_id, error)
            except AiogramError as error:  # e.g. an answer that is not Telegram's JSON
                return await self._settle(row, chat_id, error)
            part += 1
            done = part == len(messages)
            await self.outbox.sent(row, message_id=sent.message_id, parts=part, done=done)
        return True

    async def _send(self, chat_id: int, message: Outgoing, *, plain: bool) -> Message:
        """One sendMessage, its outcome counted for /metrics."""
        try:
            sent = await self.bot.send_message(
                chat_id=chat_id,
                **message.send_kwargs(plain=plain),
                # aiohttp takes float seconds; aiogram annotates the timeout as int.
                request_timeout=self.settings.delivery_timeout,  # type: ignore[arg-type]
            )
        except AiogramError as error:
            metrics.send_outcome(outcome(error), retry_after=getattr(error, "retry_after", 0))
            raise
        metrics.send_outcome("ok")
        return sent

    async def _settle(self, row: Delivery, chat_id: int, error: AiogramError) -> bool:
        """Record a send that did not go through; whether the chat may get more now."""
        reason = self._reason(error)
        if isinstance(error, TelegramRetryAfter):
            self.limiter.pause_chat(chat_id, error.retry_after)
            if self.flood.is_global(chat_id):
                self.limiter.pause_all(error.retry_after)
            await self.outbox.postpone_chat(chat_id, error.retry_after, reason, row)
            return False
        if isinstance(error, TelegramAPIError) and is_chat_gone(error):
            await self.chats.deactivate(chat_id, reason)
            return False
        if is_permanent(error) or row.attempts + 1 >= self.settings.delivery_max_attempts:
            await self.outbox.fail(row, reason)
            return True
        delay = backoff(
            row.attempts + 1,
            base=self.settings.delivery_backoff,
            cap=self.settings.delivery_backoff_max,
            rand=self.rand,
        )
        await self.outbox.retry(row, delay, reason, count=True)
        return True

    def _reason(self, error: AiogramError) -> str:
        """The error as /stats shows it: its kind and Telegram's words, never the token."""
        message = getattr(error, "message", str(error)).splitlines()[0]
        return redact(f"{type(error).__name__}: {message}", secret_parts(self.bot.token))
