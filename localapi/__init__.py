"""A local Telegram Bot API server for tests, benchmarks and `svodka demo`.

    async with LocalBotAPI() as api:             # 127.0.0.1, a free port
        bot = make_bot(api.base_url)             # aiogram Bot, HTML parse mode
        api.inject_message("/start topic_x")     # a user writes (bot_command entity added)
        ...                                      # the Dispatcher long-polls getUpdates
        [reply] = await api.wait_sent(chat_id=DEFAULT_USER["id"])

- what the bot did: `api.calls` (Call: method, params decoded, at, status, response),
  `calls_to(method)`, `sent_messages(chat_id)`, `message(chat_id, message_id)` (after edits),
  `await wait_for(method or predicate, count=, timeout=)`, `await wait_sent(chat_id, count=)`;
- what users do: `inject(update)` (keeps a given update_id: duplicates are possible),
  `inject_message`, `inject_forward`, `inject_channel_post`, `inject_callback`,
  `inject_my_chat_member`; chats: `add_chat`, `set_member`;
- faults: `api.fail(Fault.retry_after(5), method="sendMessage", chat_id=42, times=1)`;
- flood limits: `LocalBotAPI(limits=RateLimits())` (Telegram's), `RateLimits.bot_only(300)`;
  `api.throttled` counts the 429s they answered.

The server itself does not import aiogram (slow to import); `make_bot` does, lazily.
"""

from typing import TYPE_CHECKING, Any

from localapi.faults import ApiError, Fault, FaultRule
from localapi.limits import Limit, RateLimits
from localapi.objects import (
    DEFAULT_USER,
    channel_chat,
    group_chat,
    private_chat,
    supergroup_chat,
    user,
)
from localapi.server import Call, LocalBotAPI

if TYPE_CHECKING:
    from localapi.client import make_bot

__all__ = [
    "DEFAULT_USER",
    "ApiError",
    "Call",
    "Fault",
    "FaultRule",
    "Limit",
    "LocalBotAPI",
    "RateLimits",
    "channel_chat",
    "group_chat",
    "make_bot",
    "private_chat",
    "supergroup_chat",
    "user",
]


def __getattr__(name: str) -> Any:
    if name == "make_bot":
        from localapi.client import make_bot

        return make_bot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
