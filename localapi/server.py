"""The local Bot API server: aiohttp on 127.0.0.1, Telegram's HTTP protocol, for tests,
benchmarks and `svodka demo`. It records every call, injects updates, faults and flood limits.
"""

import asyncio
import contextlib
import functools
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

from localapi.faults import ApiError, Fault, FaultRule
from localapi.files import Upload, png_header
from localapi.limits import RateLimiter, RateLimits
from localapi.objects import (
    BOT_ID,
    DEFAULT_USER,
    JSON,
    chat_member,
    command_entities,
    forward_origin,
    now,
    private_chat,
    url_entities,
    user,
)
from localapi.state import STATE_METHODS, TelegramState, snake_case
from localapi.webhook import WebhookPoster

TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
MESSAGE_METHODS = frozenset({"sendmessage"})  # the calls Telegram's flood limits count
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
    }
)
INT_FIELDS = frozenset(
    {"chat_id", "message_id", "user_id", "offset", "limit", "timeout", "max_connections"}
)
BOOL_FIELDS = frozenset(
    {"disable_notification", "protect_content", "show_alert", "drop_pending_updates"}
)
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
# Update types delivered only when allowed_updates names them.
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


@dataclass(slots=True)
class Call:
    """One request: `status` is the HTTP status the client got (None: no answer)."""

    method: str
    params: JSON
    at: float  # time.monotonic() when it arrived
    status: int | None = None
    response: JSON | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        """What the method returned, also when the answer was then dropped or delayed."""
        return self.response["result"] if self.response and self.response["ok"] else None

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")


@dataclass(slots=True)
class _Queued:
    update: JSON
    delivered: bool = False


class LocalBotAPI:
    """Start with `async with LocalBotAPI() as api:`; point aiogram at `api.base_url`.

    `limits`: Telegram's flood limits to enforce (None, the default: no limits, so tests that
    send bursts to one chat stay deterministic; `RateLimits()` is Telegram's).
    `known_chats_only`: answer "chat not found" for chats never registered or seen; by
    default any numeric id is a chat whose type follows from Telegram's id ranges.
    """

    def __init__(
        self,
        *,
        limits: RateLimits | None = None,
        known_chats_only: bool = False,
        bot_name: str = "Svodka",
        bot_username: str = "svodka_test_bot",
    ) -> None:
        self.state = TelegramState(known_chats_only=known_chats_only)
        self.limiter = RateLimiter(limits) if limits else None
        self.calls: list[Call] = []
        self.faults: list[FaultRule] = []
        self.bot_name = bot_name
        self.bot_username = bot_username
        self._updates: list[_Queued] = []
        self._allowed_updates: frozenset[str] = frozenset()
        self.discarded: list[JSON] = []  # updates of types the bot did not ask for
        self._next_update_id = 1
        self._update_arrived = asyncio.Event()
        self._poll_generation = 0
        self._recorded = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._methods: dict[str, tuple[str, Callable[[JSON, JSON], Any]]] = {
            name.lower(): (name, getattr(self.state, snake_case(name))) for name in STATE_METHODS
        }
        own = {
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }
        self.webhook: WebhookPoster | None = None
        self._methods.update({name.lower(): (name, handler) for name, handler in own.items()})

    # --- lifecycle -------------------------------------------------------------------------

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, *, routes: Sequence[web.RouteDef] = ()
    ) -> None:
        """Serve on `host`:`port` (0: a free port), with `routes` besides the Bot API's (the
        control API of `svodka fake-telegram`)."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        app.add_routes(routes)
        # handler_cancellation: a client that gives up (timeout, closed session) cancels its
        # handler, so a long poll or a slow fault never outlives its client.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base_url = f"http://{f'[{host}]' if ':' in host else host}:{port}"

    async def stop(self) -> None:
        if self.webhook is not None:
            await self.webhook.stop()
        self._closing = True
        self._update_arrived.set()  # long polls answer now instead of at their timeout
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For `TelegramAPIServer.from_base(...)` and `SVODKA_TELEGRAM_API`."""
        if self._base_url is None:
            raise RuntimeError("the local Bot API server is not started")
        return self._base_url

    # --- what the bot did ------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int | None = None) -> list[JSON]:
        """Messages the bot sent (as sent, before any edit), oldest first."""
        return [
            call.result
            for call in self.calls_to("sendMessage")
            if call.result is not None and chat_id in (None, call.result["chat"]["id"])
        ]

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The message as it is now (after edits), None if deleted or unknown."""
        return self.state.messages.get((chat_id, message_id))

    async def wait_for(
        self,
        match: str | Callable[[Call], bool],
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 (bounding a test's wait is the point)
    ) -> list[Call]:
        """Wait until `count` recorded calls match (a method name or a predicate); return all
        matching calls."""
        if isinstance(match, str):
            method = match.lower()
            match = lambda call: call.method.lower() == method  # noqa: E731
        predicate = match

        def found() -> list[Call]:
            return [call for call in self.calls if predicate(call)]

        try:
            async with asyncio.timeout(timeout), self._recorded:
                await self._recorded.wait_for(lambda: len(found()) >= count)
        except TimeoutError:
            seen = ", ".join(f"{call.method}({call.status})" for call in self.calls[-20:])
            discarded = f"; updates not in allowed_updates: {self.discarded}" * bool(self.discarded)
            raise TimeoutError(
                f"{len(found())} of {count} expected calls after {timeout} s; "
                f"last calls: {seen or 'none'}{discarded}"
            ) from None
        return found()

    async def wait_sent(
        self,
        chat_id: int | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[JSON]:
        """Wait until the bot has sent `count` messages (to `chat_id`); return them all."""

        def sent_there(call: Call) -> bool:
            result = call.result
            return (
                call.method.lower() == "sendmessage"
                and result is not None
                and chat_id in (None, result["chat"]["id"])
            )

        calls = await self.wait_for(sent_there, count=count, timeout=timeout)
        return [call.result for call in calls]

    # --- what the users do -----------------------------------------------------------------

    def inject(self, update: JSON) -> JSON:
        """Queue an update for getUpdates. An update that carries an update_id keeps it, so
        the same update can be injected twice (to test deduplication)."""
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        self._updates.append(_Queued(update))
        self._update_arrived.set()
        return update

    def inject_message(
        self, text: str, *, user: JSON = DEFAULT_USER, chat: JSON | None = None, **fields: Any
    ) -> JSON:
        """A user writes `text` in a private chat (or in `chat`, e.g. a group); commands get
        their bot_command entities. `fields` are extra Message fields."""
        self.state.add_user(user)
        chat = self.state.add_chat(chat or private_chat(user))
        return self._incoming(chat, user, text, **fields)

    def inject_forward(
        self,
        text: str,
        *,
        from_user: JSON | None = None,
        from_chat: JSON | None = None,
        user: JSON = DEFAULT_USER,
    ) -> JSON:
        """`user` forwards to the bot a message of `from_user` or a post of channel `from_chat`."""
        origin = forward_origin(from_user=from_user, from_chat=from_chat)
        return self.inject_message(text, user=user, forward_origin=origin)

    def inject_document(
        self,
        data: bytes,
        file_name: str,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        user: JSON = DEFAULT_USER,
    ) -> JSON:
        """`user` sends the bot a file in their private chat; the bot gets it with getFile."""
        self.state.add_user(user)
        chat = self.state.add_chat(private_chat(user))
        document = self.state.files.document(data, file_name, mime_type)
        message = self.state.new_message(chat, user, None, document=document, caption=caption)
        return self.inject({"message": message})

    def sent_files(self, method: str, chat_id: int | None = None) -> list[tuple[JSON, bytes]]:
        """Messages the bot sent with `method` (sendDocument, sendPhoto) and the file's bytes."""
        found = []
        for call in self.calls_to(method):
            if call.result is None or chat_id not in (None, call.result["chat"]["id"]):
                continue
            media = call.result.get("document") or call.result["photo"][-1]
            found.append((call.result, self.state.files.files[media["file_id"]][0]))
        return found

    def inject_channel_post(
        self,
        chat: JSON,
        text: str | None = None,
        *,
        caption: str | None = None,
        media_group_id: str | None = None,
        forwarded_from: JSON | None = None,
    ) -> JSON:
        """A post in channel `chat`: `text`, or else a photo with `caption` (or none), web
        links marked as Telegram marks them. An album is one post per photo sharing a
        `media_group_id`, as Telegram sends it; `forwarded_from` is the channel a post was
        forwarded from."""
        fields: dict[str, Any] = {"media_group_id": media_group_id}
        if text is None:
            photo = self.state.files.photo(png_header(320, 240))
            fields.update(photo=photo, caption=caption, caption_entities=url_entities(caption))
        else:
            fields["entities"] = url_entities(text)
        if forwarded_from is not None:
            fields["forward_origin"] = forward_origin(from_chat=forwarded_from)
        message = self.state.new_message(self.state.add_chat(chat), None, text, **fields)
        return self.inject({"channel_post": message})

    def inject_channel_post_edit(self, update: JSON, text: str) -> JSON:
        """The channel edits the post of `update` (an injected channel_post) to `text`; the
        bot gets it only if allowed_updates asks for edited_channel_post."""
        post = update["channel_post"]
        edited = {**post, "caption" if "caption" in post else "text": text, "edit_date": now()}
        self.state.messages[post["chat"]["id"], post["message_id"]] = edited
        return self.inject({"edited_channel_post": edited})

    def inject_callback(
        self,
        message: JSON,
        *,
        button: int = 0,
        data: str | None = None,
        user: JSON = DEFAULT_USER,
    ) -> JSON:
        """`user` presses an inline button of `message` (as it is now, after edits): the
        `button`-th callback button counting row by row, or the one with `data`."""
        key = (message["chat"]["id"], message["message_id"])
        current = self.state.messages.get(key, message)
        rows = (current.get("reply_markup") or {}).get("inline_keyboard", [])
        choices = [b["callback_data"] for row in rows for b in row if "callback_data" in b]
        if data is None:
            if not 0 <= button < len(choices):
                raise ValueError(f"no button #{button}; the message has {choices}")
            data = choices[button]
        elif data not in choices:
            raise ValueError(f"no button with data {data!r}; the message has {choices}")
        query = {
            "id": self.state.open_callback(),
            "from": user,
            "message": current,
            "chat_instance": str(abs(current["chat"]["id"])),
            "data": data,
        }
        return self.inject({"callback_query": query})

    def inject_my_chat_member(
        self,
        chat: JSON,
        status: str = "administrator",
        *,
        by: JSON = DEFAULT_USER,
        bot_id: int = BOT_ID,
        **rights: bool,
    ) -> JSON:
        """`by` adds the bot to `chat` (or changes its rights, or removes it with "left"):
        the my_chat_member update, and getChatMember answers the same from now on."""
        self.state.add_user(by)
        self.state.add_chat(chat)
        bot = self._bot_user(bot_id)
        old = self.state.members.get((chat["id"], bot_id), chat_member(bot, "left"))
        new = chat_member(bot, status, **rights)
        self.state.members[chat["id"], bot_id] = new
        change = {
            "chat": chat,
            "from": by,
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        return self.inject({"my_chat_member": change})

    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by a getUpdates offset."""
        return [queued.update for queued in self._updates]

    def _incoming(self, chat: JSON, sender: JSON | None, text: str, **fields: Any) -> JSON:
        message = self.state.new_message(
            chat, sender, text, entities=command_entities(text), **fields
        )
        kind = "channel_post" if chat["type"] == "channel" else "message"
        return self.inject({kind: message})

    # --- chats -----------------------------------------------------------------------------

    def add_chat(self, chat: JSON) -> JSON:
        return self.state.add_chat(chat)

    def set_member(self, chat_id: int, user_id: int, status: str, **rights: bool) -> JSON:
        """What getChatMember answers for this user in this chat (default: "member");
        creators and administrators are also listed by getChatAdministrators."""
        return self.state.set_member(chat_id, user_id, status, **rights)

    # --- faults and limits -----------------------------------------------------------------

    def fail(
        self,
        fault: Fault,
        *,
        method: str | None = "sendMessage",
        chat_id: int | str | None = None,
        times: int | None = 1,
    ) -> FaultRule:
        """Apply `fault` to the next `times` calls (None: all) of `method` (None: any) to
        `chat_id` (None: any chat). Rules apply in the order they were added."""
        rule = FaultRule(fault, method, chat_id, times)
        self.faults.append(rule)
        return rule

    @property
    def throttled(self) -> int:
        """How many 429s the flood limits answered."""
        return self.limiter.rejected if self.limiter else 0

    def _take_fault(self, method: str, chat_id: int | str | None) -> Fault | None:
        for rule in self.faults:
            if rule.matches(method, chat_id):
                fault = rule.use()
                if rule.spent:
                    self.faults.remove(rule)
                return fault
        return None

    # --- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if not TOKEN.fullmatch(request.match_info["token"]):
            return _json(ApiError(401, "Unauthorized").payload(), 401)
        bot_id = int(request.match_info["token"].split(":")[0])
        try:
            params = decode_params(await _read_params(request))
        except ApiError as error:
            return _json(error.payload(), error.status)
        method = request.match_info["method"]
        known = self._methods.get(method.lower())
        call = Call(known[0] if known else method, params, time.monotonic())
        fault = self._take_fault(call.method, call.chat_id)
        if fault is not None and fault.error is not None:
            call.status, call.response = fault.error.status, fault.error.payload()
        elif fault is None or fault.deliver:
            call.status, call.response = await self._run(bot_id, call)
        if fault is not None and fault.drop:
            call.status = None
        await self._record(call)
        if fault is not None:
            await asyncio.sleep(fault.delay)
            if fault.drop:
                await _drop_connection(request)
        return _json(call.response, call.status or 500)

    async def _download(self, request: web.Request) -> web.Response:
        if not TOKEN.fullmatch(request.match_info["token"]):
            return _json(ApiError(401, "Unauthorized").payload(), 401)
        data = self.state.files.download(request.match_info["path"])
        if data is None:
            return _json(ApiError(404, "Not Found").payload(), 404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _run(self, bot_id: int, call: Call) -> tuple[int, JSON]:
        try:
            if call.method.lower() not in self._methods:
                raise ApiError(404, "Not Found: method not found")
            if self.limiter and call.method.lower() in MESSAGE_METHODS:
                chat = self.state.resolve_chat(call.chat_id or 0)
                retry_after = self.limiter.acquire(bot_id, chat, asyncio.get_running_loop().time())
                if retry_after:
                    raise ApiError.too_many_requests(retry_after)
            handler = self._methods[call.method.lower()][1]
            result = handler(call.params, self._bot_user(bot_id))
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as error:
            return error.status, error.payload()
        return 200, {"ok": True, "result": result}

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        async with self._recorded:
            self._recorded.notify_all()

    def _bot_user(self, bot_id: int) -> JSON:
        return user(
            bot_id, self.bot_name, username=self.bot_username, is_bot=True, language_code=None
        )

    # --- methods served here, not from the state -------------------------------------------

    async def _get_updates(self, params: JSON, bot: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        if "allowed_updates" in params:  # if absent, Telegram keeps the previous setting
            self._allowed_updates = frozenset(params["allowed_updates"] or ())
        if (offset := params.get("offset")) is not None:
            self._confirm(offset)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(int(params.get("timeout") or 0), 0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._update_arrived.set()  # an older long poll ends with 409, as on Telegram
        while not self._deliverable() and not self._closing and loop.time() < deadline:
            self._update_arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_arrived.wait(), deadline - loop.time())
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT)
        batch = self._deliverable()[:limit]
        for queued in batch:
            queued.delivered = True
        return [queued.update for queued in batch]

    def _deliverable(self) -> list[_Queued]:
        """The queue without updates of types the bot did not ask for: Telegram drops those."""
        wanted = [queued for queued in self._updates if self._wanted(queued.update)]
        if len(wanted) < len(self._updates):
            self.discarded += [q.update for q in self._updates if not self._wanted(q.update)]
            self._updates = wanted
        return wanted

    def _wanted(self, update: JSON) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in OPT_IN_UPDATES

    def _confirm(self, offset: int) -> None:
        """Forget delivered updates below `offset`. An update injected after delivery of the
        same id stays queued: that is how tests send a duplicate."""
        self._updates = [
            queued
            for queued in self._updates
            if not (queued.delivered and queued.update["update_id"] < offset)
        ]

    async def _set_webhook(self, params: JSON, bot: JSON) -> bool:
        url = params.get("url") or ""
        if not url:
            return await self._delete_webhook(params, bot)
        if not url.startswith(("http://", "https://")):
            raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        await self._delete_webhook(params, bot)
        if "allowed_updates" in params:
            self._allowed_updates = frozenset(params["allowed_updates"] or ())
        self.webhook = WebhookPoster(
            url=url,
            secret=params.get("secret_token"),
            max_connections=params.get("max_connections") or 40,
            next_batch=self._webhook_batch,
            confirm=self._webhook_accepted,
            arrived=self._update_arrived,
        )
        self.webhook.start()
        return True

    def _webhook_batch(self, in_flight: set[int]) -> list[JSON]:
        return [
            queued.update
            for queued in self._deliverable()
            if queued.update["update_id"] not in in_flight
        ]

    def _webhook_accepted(self, update_id: int) -> None:
        """The webhook answered 2xx: the update is gone from the queue (one copy of it)."""
        for index, queued in enumerate(self._updates):
            if queued.update["update_id"] == update_id:
                del self._updates[index]
                return

    async def _delete_webhook(self, params: JSON, bot: JSON) -> bool:
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JSON, bot: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self._allowed_updates:
                info["allowed_updates"] = sorted(self._allowed_updates)
            if self.webhook.last_error:
                info["last_error_message"] = self.webhook.last_error
                info["last_error_date"] = self.webhook.last_error_at
        return info


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Query string plus the body: form fields (what aiogram sends) or a JSON object."""
    params: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError.bad_request("can't parse JSON body") from None
        if not isinstance(body, dict):
            raise ApiError.bad_request("JSON body must be an object")
        params.update(body)
    else:
        for key, value in (await request.post()).items():
            params[key] = _uploaded(value) if isinstance(value, web.FileField) else value
    return params


def _uploaded(field: web.FileField) -> Upload:
    return Upload(field.filename, field.content_type, field.file.read())


def decode_params(raw: dict[str, Any]) -> JSON:
    """Form values are strings: nested values are JSON, ids and flags are text."""
    return {key: _decode(key, value) for key, value in raw.items()}


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError.bad_request(f"can't parse {key} JSON object") from None
    if key in INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if key in BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


def _json(payload: JSON | None, status: int) -> web.Response:
    return web.Response(text=dumps(payload), status=status, content_type="application/json")


async def _drop_connection(request: web.Request) -> None:
    """Close the connection without an answer. Closing it makes aiohttp cancel this handler
    (handler_cancellation), so the wait below ends there."""
    if request.transport is not None:
        request.transport.close()
    await asyncio.Event().wait()
