"""`python -m bot.delivery`: the delivery worker in a process of its own, configured like the
bot (BOT_TOKEN, SVODKA_DATABASE_URL, SVODKA_TELEGRAM_API, SVODKA_DELIVERY_*). SIGTERM or
Ctrl-C stops it cleanly; a kill -9 loses nothing either (see bot/delivery/sender.py)."""

from __future__ import annotations

import asyncio
import signal
import sys

from bot.config import ConfigError, Settings, load_settings


async def serve(settings: Settings) -> None:
    from bot.app import build_bot
    from bot.delivery.worker import run_delivery
    from bot.storage.database import Database
    from bot.storage.migrate import upgrade

    bot = build_bot(settings.require_token(), settings)
    db = Database(settings.database_url)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    try:
        await upgrade(db)
        await run_delivery(db, bot, settings, stop)
    finally:
        await bot.session.close()
        await db.close()


def main() -> int:
    from bot.logs import configure_logging, secret_parts

    try:
        settings = load_settings()
        token = settings.require_token()
    except ConfigError as error:
        print(f"svodka delivery: {error}", file=sys.stderr)
        return 2
    configure_logging(
        secrets=secret_parts(token),
        json_lines=settings.log_format == "json",
        level=settings.log_level,
        role="delivery",
    )
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
