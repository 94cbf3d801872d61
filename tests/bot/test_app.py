"""Process-level pieces of bot/app.py: secrets kept out of logs, services that stop promptly."""

from __future__ import annotations

import asyncio
import logging

from bot.app import RedactSecrets, poll_feeds
from bot.storage.database import Database
from bot.storage.migrate import upgrade

TOKEN = "123456:AAE-secret_part"


def test_the_token_never_reaches_a_log_line(caplog):
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactSecrets([TOKEN]))
    with caplog.at_level(logging.INFO, logger="test.redact"):
        logger.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        logger.info("plain line")
    assert [record.getMessage() for record in caplog.records] == [
        "calling https://api.telegram.org/bot***/getMe",
        "plain line",
    ]


async def test_feed_poller_without_feeds_stops_at_once(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    await upgrade(db)
    stop = asyncio.Event()
    service = asyncio.create_task(poll_feeds(db, None, None, stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(service, 2)  # not FEED_CHECK_INTERVAL
    await db.close()
