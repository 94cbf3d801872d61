"""Shared pytest fixtures. Each block belongs to one part of the project."""

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from bot.localapi import LocalBotAPI

if TYPE_CHECKING:
    from aiogram import Bot

# --- local Telegram Bot API server (bot/localapi) ------------------------------------------


@pytest.fixture
async def bot_api() -> AsyncIterator[LocalBotAPI]:
    """A started local Bot API server without flood limits; see bot/localapi."""
    async with LocalBotAPI() as api:
        yield api


@pytest.fixture
async def bot(bot_api: LocalBotAPI) -> AsyncIterator["Bot"]:
    """An aiogram Bot (HTML parse mode, token 123456:TEST) pointed at `bot_api`."""
    from bot.localapi import make_bot  # imports aiogram: only for the tests that need it

    telegram_bot = make_bot(bot_api.base_url)
    yield telegram_bot
    await telegram_bot.session.close()


# --- end of local Bot API server fixtures ---------------------------------------------------
