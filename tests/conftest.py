"""Shared pytest fixtures. Each block belongs to one part of the project."""

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from localapi import LocalBotAPI

pytest_plugins = ["tests.support.databases"]  # `database`, `postgres_database` everywhere
END_TO_END = frozenset({"bot_api", "bot", "harness"})  # fixtures that stand up a Bot API server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `e2e` every test of tests/chat and every other one that talks to a local Bot API
    server, so `make test-fast` can leave those out (`processes` is marked per module)."""
    for item in items:
        chat = item.path.parent.name == "chat"
        if chat or END_TO_END.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


if TYPE_CHECKING:
    from aiogram import Bot

# --- local Telegram Bot API server (localapi) ------------------------------------------


@pytest.fixture
async def bot_api() -> AsyncIterator[LocalBotAPI]:
    """A started local Bot API server without flood limits; see localapi."""
    async with LocalBotAPI() as api:
        yield api


@pytest.fixture
async def bot(bot_api: LocalBotAPI) -> AsyncIterator["Bot"]:
    """An aiogram Bot (HTML parse mode, token 123456:TEST) pointed at `bot_api`."""
    from localapi import make_bot  # imports aiogram: only for the tests that need it

    telegram_bot = make_bot(bot_api.base_url)
    yield telegram_bot
    await telegram_bot.session.close()


# --- end of local Bot API server fixtures ---------------------------------------------------
