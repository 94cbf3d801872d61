"""A feature's handlers, declared with aiogram's router decorators and built into a new Router
for each Dispatcher. An aiogram Router belongs to one parent for good, and the tests and the
demo build several Dispatchers in one process: so a feature module records its handlers
(`feature = Feature(__name__)`, `@feature.message(...)`) and `bot.handlers.routers()` builds
fresh routers from them, instead of taking module-level routers away from a finished
dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import Router

Handler = TypeVar("Handler", bound=Callable[..., Any])
Registration = tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class Feature:
    """The handlers of one feature, in the order they were declared."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._registered: list[Registration] = []

    def message(self, *filters: Any, **options: Any) -> Callable[[Handler], Handler]:
        return self._on("message", filters, options)

    def callback_query(self, *filters: Any, **options: Any) -> Callable[[Handler], Handler]:
        return self._on("callback_query", filters, options)

    def my_chat_member(self, *filters: Any, **options: Any) -> Callable[[Handler], Handler]:
        return self._on("my_chat_member", filters, options)

    def channel_post(self, *filters: Any, **options: Any) -> Callable[[Handler], Handler]:
        return self._on("channel_post", filters, options)

    def errors(self, *filters: Any, **options: Any) -> Callable[[Handler], Handler]:
        return self._on("errors", filters, options)

    def router(self) -> Router:
        """A new Router with every handler of the feature."""
        router = Router(name=self.name)
        for observer, handler, filters, options in self._registered:
            getattr(router, observer).register(handler, *filters, **options)
        return router

    def _on(
        self, observer: str, filters: tuple[Any, ...], options: dict[str, Any]
    ) -> Callable[[Handler], Handler]:
        def record(handler: Handler) -> Handler:
            self._registered.append((observer, handler, filters, options))
            return handler

        return record
