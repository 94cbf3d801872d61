"""Errors in Telegram's exact shape, and faults a test injects into the local server."""

from dataclasses import dataclass
from typing import Any

from localapi.objects import JSON


class ApiError(Exception):
    """An answer `{"ok": false, ...}` with the HTTP status Telegram uses for it."""

    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body

    @classmethod
    def bad_request(cls, problem: str, **parameters: Any) -> "ApiError":
        return cls(400, f"Bad Request: {problem}", **parameters)

    @classmethod
    def too_many_requests(cls, retry_after: int) -> "ApiError":
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


@dataclass(frozen=True, slots=True)
class Fault:
    """What the server does instead of (or besides) answering a call normally.

    `error`: answer this error and do not run the method. Otherwise the method runs when
    `deliver` is true (the message reaches the chat), then the answer waits `delay` seconds
    and is dropped (connection closed) when `drop` is true: a timeout on the client may
    therefore mean the message was delivered, as with real Telegram.
    """

    error: ApiError | None = None
    delay: float = 0.0
    drop: bool = False
    deliver: bool = True

    @classmethod
    def retry_after(cls, seconds: int = 3) -> "Fault":
        return cls(error=ApiError.too_many_requests(seconds))

    @classmethod
    def forbidden(cls, reason: str = "bot was blocked by the user") -> "Fault":
        return cls(error=ApiError(403, f"Forbidden: {reason}"))

    @classmethod
    def migrate(cls, to_chat_id: int) -> "Fault":
        problem = "group chat was upgraded to a supergroup chat"
        return cls(error=ApiError.bad_request(problem, migrate_to_chat_id=to_chat_id))

    @classmethod
    def chat_not_found(cls) -> "Fault":
        return cls(error=ApiError.bad_request("chat not found"))

    @classmethod
    def cant_parse_entities(cls) -> "Fault":
        problem = 'can\'t parse entities: Unsupported start tag "x" at byte offset 0'
        return cls(error=ApiError.bad_request(problem))

    @classmethod
    def bad_request(cls, problem: str) -> "Fault":
        return cls(error=ApiError.bad_request(problem))

    @classmethod
    def server_error(cls, status: int = 500) -> "Fault":
        descriptions = {500: "Internal Server Error", 502: "Bad Gateway"}
        return cls(error=ApiError(status, descriptions.get(status, "Internal Server Error")))

    @classmethod
    def slow(cls, seconds: float) -> "Fault":
        """Run the method, then answer `seconds` late."""
        return cls(delay=seconds)

    @classmethod
    def dropped(cls, *, delivered: bool = False) -> "Fault":
        """Close the connection without an answer; `delivered`: run the method first."""
        return cls(drop=True, deliver=delivered)


@dataclass(slots=True)
class FaultRule:
    """Apply `fault` to calls of `method` (any if None) for `chat_id` (any if None),
    `times` times (forever if None)."""

    fault: Fault
    method: str | None = None
    chat_id: int | str | None = None
    times: int | None = 1

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        return (self.method is None or self.method.lower() == method.lower()) and (
            self.chat_id is None or self.chat_id == chat_id
        )

    def use(self) -> Fault:
        if self.times is not None:
            self.times -= 1
        return self.fault

    @property
    def spent(self) -> bool:
        return self.times is not None and self.times <= 0
