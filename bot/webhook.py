"""`svodka webhook info|delete`: Telegram's webhook setting, read or removed by hand. A
running `svodka run --webhook` sets it at start and never removes it (other instances may
still serve it)."""

from __future__ import annotations

import sys

from bot.config import Settings


async def webhook_command(command: str, settings: Settings, token: str) -> int:
    from aiogram.exceptions import AiogramError

    from bot.app import build_bot

    bot = build_bot(token, settings)
    try:
        if command == "delete":
            await bot.delete_webhook()
            print("webhook deleted: updates wait for long polling (svodka run)")
            return 0
        info = await bot.get_webhook_info()
    except AiogramError as error:
        print(f"svodka: Telegram refused: {' '.join(str(error).split())[:300]}", file=sys.stderr)
        return 1
    finally:
        await bot.session.close()
    print(f"url: {info.url or '(none: long polling)'}")
    print(f"pending updates: {info.pending_update_count}")
    if info.max_connections:
        print(f"max connections: {info.max_connections}")
    if info.allowed_updates:
        print(f"allowed updates: {', '.join(info.allowed_updates)}")
    if info.last_error_message:
        print(f"last error: {info.last_error_message} ({info.last_error_date:%Y-%m-%d %H:%M} UTC)")
    return 0
