"""A feed that takes seconds of CPU to read is read in a worker process: the bot answers people
while it is being parsed."""

from __future__ import annotations

import asyncio
import functools

from bot.ingest import feeds
from bot.ingest.fetch import open_session
from bot.ingest.offload import ProcessOffload
from bot.storage import sources
from tests.ingest.conftest import site  # noqa: F401  (the local HTTP server fixture)

DEEP = 300_000  # levels of nesting: seconds of parsing


class WatchedOffload(ProcessOffload):
    """A worker pool that tells when the feed parser was handed a feed, and when it is done."""

    def __init__(self) -> None:
        super().__init__(1)
        self.parsing = asyncio.Event()
        self.parsed = asyncio.Event()

    async def run(self, function, *args):
        is_parse = isinstance(function, functools.partial) and function.func is feeds.parse_feed
        if is_parse:
            self.parsing.set()
        try:
            return await super().run(function, *args)
        finally:
            if is_parse:
                self.parsed.set()


async def test_people_are_answered_while_a_hostile_feed_is_parsed(harness, site):  # noqa: F811
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Глубина</title>'
        + "<a>" * DEEP
        + "</a>" * DEEP
        + "</channel></rss>"
    ).encode()
    url = site.serve("/deep.xml", body, content_type="application/rss+xml")
    async with harness.db.transaction() as conn:
        feed = await sources.add_feed(conn, url)
    offload = WatchedOffload()
    await offload.run(str, "warm")  # the worker is up: its start is not the parse
    settings = harness.settings.model_copy(update={"allow_private_urls": True})
    try:
        async with open_session(settings) as session:
            poll = asyncio.create_task(
                feeds.poll_feed(harness.db, feed, settings, session=session, offload=offload)
            )
            await asyncio.wait_for(offload.parsing.wait(), 10)
            [reply] = await harness.say("/help")
            assert reply["text"].startswith("Что я умею")
            assert not offload.parsed.is_set()  # answered while the worker still parses
            report = await asyncio.wait_for(poll, 60)
    finally:
        await offload.shutdown()
    assert offload.parsed.is_set() and report.added == 0
