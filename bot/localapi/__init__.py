"""A local Telegram Bot API server for tests, benchmarks and `svodka demo`.

    async with LocalBotAPI() as api:
        bot = make_bot(api.base_url)
        api.inject_message("/start")
        ...
        reply = (await api.wait_sent(chat_id=DEFAULT_USER["id"]))[0]

The server itself does not import aiogram (slow to import); `make_bot` does, lazily.
"""

from typing import TYPE_CHECKING, Any

from bot.localapi.faults import ApiError, Fault, FaultRule
from bot.localapi.limits import Limit, RateLimits
from bot.localapi.objects import (
    DEFAULT_USER,
    channel_chat,
    group_chat,
    private_chat,
    supergroup_chat,
    user,
)
from bot.localapi.server import Call, LocalBotAPI

if TYPE_CHECKING:
    from bot.localapi.client import make_bot

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
        from bot.localapi.client import make_bot

        return make_bot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
