"""`svodka fake-telegram`: the local Bot API server as a program, for staging rehearsals
without Telegram, with a small JSON control API beside the Bot API on the same port
(documented in docs/fake-telegram.md):

    POST   /control/message  {"text", "user_id"?, "name"?, "group_id"?, "group_title"?}
    POST   /control/press    {"chat_id", "message_id", "button"? | "data"?, "user_id"?}
    GET    /control/sent     ?chat_id=&after=   what the bot sent, edited and answered
    PUT    /control/limits   {"per_bot"?, "per_chat"?, "per_group"?}  ({} turns them off)
    POST   /control/faults   {"kind", "method"?, "chat_id"?, "times"?, "seconds"?, "status"?}
    DELETE /control/faults

Imports nothing of the bot but this package, like the rest of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import web

from localapi.faults import Fault
from localapi.limits import Limit, RateLimiter, RateLimits
from localapi.objects import JSON, group_chat, user
from localapi.server import Call, LocalBotAPI

MAX_TEXT = 4096  # characters of one message, as in Telegram
# Calls that show what the bot did in chats (not getUpdates, getMe, setWebhook ...).
SENDING = ("send", "edit", "answer", "delete", "forward", "copy", "pin", "unpin")

FAULTS: dict[str, Callable[[JSON], Fault]] = {
    "retry_after": lambda body: Fault.retry_after(int(body.get("seconds", 3))),
    "forbidden": lambda body: Fault.forbidden(),
    "chat_not_found": lambda body: Fault.chat_not_found(),
    "server_error": lambda body: Fault.server_error(int(body.get("status", 500))),
    "slow": lambda body: Fault.slow(float(body.get("seconds", 5))),
    "dropped": lambda body: Fault.dropped(delivered=bool(body.get("delivered", False))),
}


class BadRequest(Exception):
    """A control request that cannot be carried out; its message says why."""


def control_routes(api: LocalBotAPI) -> list[web.RouteDef]:
    handlers = {
        ("POST", "/control/message"): lambda body, query: _message(api, body),
        ("POST", "/control/press"): lambda body, query: _press(api, body),
        ("GET", "/control/sent"): lambda body, query: _sent(api, query),
        ("PUT", "/control/limits"): lambda body, query: _limits(api, body),
        ("POST", "/control/faults"): lambda body, query: _fault(api, body),
        ("DELETE", "/control/faults"): lambda body, query: _no_faults(api),
    }
    return [
        web.route(method, path, _endpoint(handler)) for (method, path), handler in handlers.items()
    ]


def _endpoint(handler: Callable[[JSON, Any], JSON]):
    async def endpoint(request: web.Request) -> web.Response:
        try:
            body = await request.json() if request.can_read_body else {}
            if not isinstance(body, dict):
                raise BadRequest("expected a JSON object")
            answer = handler(body, request.query)
        except (BadRequest, ValueError, TypeError, KeyError) as error:
            return web.json_response({"ok": False, "error": _said(error)}, status=400)
        return web.json_response({"ok": True, **answer})

    return endpoint


def _said(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}"
    return str(error) or type(error).__name__


def _number(body: JSON, name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name}: expected an integer")
    return value


def _person(body: JSON) -> JSON:
    user_id = _number(body, "user_id", 1001)
    name = str(body.get("name") or f"Пользователь {user_id}")[:64]
    return user(user_id, name)


def _message(api: LocalBotAPI, body: JSON) -> JSON:
    text = body["text"]
    if not isinstance(text, str) or not 0 < len(text) <= MAX_TEXT:
        raise BadRequest(f"text: expected 1 to {MAX_TEXT} characters")
    chat = None
    if "group_id" in body:
        chat = group_chat(_number(body, "group_id"), str(body.get("group_title") or "Группа"))
    update = api.inject_message(text, user=_person(body), chat=chat)
    message = update["message"]
    return {"update_id": update["update_id"], "message_id": message["message_id"]}


def _press(api: LocalBotAPI, body: JSON) -> JSON:
    chat_id, message_id = _number(body, "chat_id"), _number(body, "message_id")
    message = api.message(chat_id, message_id)
    if message is None:
        raise BadRequest(f"no message {message_id} in chat {chat_id}")
    data = body.get("data")
    button = _number(body, "button", 0)
    update = api.inject_callback(
        message, button=button, data=None if data is None else str(data), user=_person(body)
    )
    return {"update_id": update["update_id"]}


def _sent(api: LocalBotAPI, query: Any) -> JSON:
    after = max(0, int(query.get("after", 0)))
    chat_id = int(query["chat_id"]) if "chat_id" in query else None
    calls = [
        _shown(number, call)
        for number, call in enumerate(api.calls[after:], start=after + 1)
        if call.method.lower().startswith(SENDING)
        and (chat_id is None or str(call.chat_id) == str(chat_id))
    ]
    return {"calls": calls, "next": len(api.calls)}


def _shown(number: int, call: Call) -> JSON:
    result = call.result if isinstance(call.result, dict) else {}
    markup = call.params.get("reply_markup") or {}
    buttons = [
        [{"text": button.get("text"), "data": button.get("callback_data")} for button in row]
        for row in (markup.get("inline_keyboard") or [] if isinstance(markup, dict) else [])
    ]
    return {
        "n": number,
        "method": call.method,
        "status": call.status,
        "chat_id": call.chat_id,
        "message_id": result.get("message_id") or call.params.get("message_id"),
        "text": call.params.get("text") or call.params.get("caption"),
        "buttons": buttons,
        "error": None if call.ok or call.response is None else call.response.get("description"),
    }


def _limits(api: LocalBotAPI, body: JSON) -> JSON:
    """Per-second counts for the bot and one chat, per-minute for a group; absent: no limit."""
    periods = {"per_bot": 1.0, "per_chat": 1.0, "per_group": 60.0}
    given = {
        name: Limit(_number(body, name), period)
        for name, period in periods.items()
        if body.get(name) is not None
    }
    if any(limit.count < 1 for limit in given.values()):
        raise BadRequest("limits are counts of 1 or more")
    limits = RateLimits(
        per_bot=given.get("per_bot"),
        per_chat=given.get("per_chat"),
        per_group=given.get("per_group"),
    )
    api.limiter = RateLimiter(limits) if given else None
    return {"limits": {name: limit.count for name, limit in given.items()}}


def _fault(api: LocalBotAPI, body: JSON) -> JSON:
    kind = body["kind"]
    if kind not in FAULTS:
        raise BadRequest(f"kind: one of {', '.join(FAULTS)}")
    times = body.get("times", 1)
    if times is not None:
        times = _number(body, "times")
    chat_id = None if body.get("chat_id") is None else _number(body, "chat_id")
    method = body.get("method", "sendMessage")
    if method is not None and not isinstance(method, str):
        raise BadRequest("method: a Bot API method name, or null for any")
    api.fail(FAULTS[kind](body), method=method, chat_id=chat_id, times=times)
    return {"faults": len(api.faults)}


def _no_faults(api: LocalBotAPI) -> JSON:
    api.faults.clear()
    return {"faults": 0}


async def serve(host: str, port: int, *, limits: bool, ready: Callable[[str], None]) -> None:
    """Run the server with its control API until SIGINT or SIGTERM; `ready(base_url)` once
    it listens. Telegram's flood limits are on unless `limits` is false."""
    api = LocalBotAPI(limits=RateLimits() if limits else None)
    await api.start(host, port, routes=control_routes(api))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        ready(api.base_url)
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
        await api.stop()
