"""/feed add @name: a public channel as a polled source, in /feeds with its health."""

from __future__ import annotations

from bot import texts
from bot.storage import sources
from bot.storage.schema import utcnow


async def test_feed_add_lists_and_removes_a_public_channel(harness):
    [reply] = await harness.say("/feed add @1news", user=harness.admin)
    assert reply["text"].startswith("«@1news» — не имя канала")
    [reply] = await harness.say("/feed add https://t.me/s/News_Ch", user=harness.admin)
    assert reply["text"] == texts.CHANNEL_ADDED
    async with harness.db.transaction() as conn:
        [channel] = await sources.list_feeds(conn)
        assert (channel.url, channel.kind) == ("https://t.me/s/news_ch", sources.CHANNEL)
        await sources.record_failure(
            conn, channel, utcnow(), error="у канала нет открытого предпросмотра", max_backoff=60
        )
    [reply] = await harness.say("/feeds", user=harness.admin)
    lines = reply["text"].splitlines()
    assert lines[1] == "1. https://t.me/s/news_ch"
    assert lines[4].endswith(": у канала нет открытого предпросмотра")
    [reply] = await harness.say("/feed remove @news_ch", user=harness.admin)
    assert reply["text"] == texts.FEED_REMOVED
