"""`svodka webhook info|delete`: Telegram's webhook setting, read or removed by hand. A
running `svodka run --webhook` sets it at start and never removes it (other instances may
still serve it)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.config import load_settings

if TYPE_CHECKING:
    from aiogram import Bot


def info(args: argparse.Namespace) -> int:
    return _with_bot(_print_info)


def delete(args: argparse.Namespace) -> int:
    return _with_bot(_delete)


def _with_bot(action: Callable[[Bot], Awaitable[int]]) -> int:
    """Run `action` with a bot of the configured token; Telegram's refusal in one line."""
    import asyncio

    settings = load_settings()
    token = settings.require_token()

    async def act() -> int:
        from aiogram.exceptions import AiogramError

        from bot.app import build_bot

        bot = build_bot(token, settings)
        try:
            return await action(bot)
        except AiogramError as error:
            said = " ".join(str(error).split())[:300]
            print(f"svodka: Telegram refused: {said}", file=sys.stderr)
            return 1
        finally:
            await bot.session.close()

    return asyncio.run(act())


async def _delete(bot: Bot) -> int:
    await bot.delete_webhook()
    print("webhook deleted: updates wait for long polling (svodka run)")
    return 0


async def _print_info(bot: Bot) -> int:
    info = await bot.get_webhook_info()
    print(f"url: {info.url or '(none: long polling)'}")
    print(f"pending updates: {info.pending_update_count}")
    if info.max_connections:
        print(f"max connections: {info.max_connections}")
    if info.allowed_updates:
        print(f"allowed updates: {', '.join(info.allowed_updates)}")
    if info.last_error_message:
        print(f"last error: {info.last_error_message} ({info.last_error_date:%Y-%m-%d %H:%M} UTC)")
    return 0
