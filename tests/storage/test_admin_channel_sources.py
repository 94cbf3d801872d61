"""Channels the bot administers as sources: one source per channel, never polled, found by the
chat id its updates carry; an album is taken once across bot instances."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.cli.archive import feed_lines
from bot.ingest.pipeline import ingest_documents
from bot.storage import admin_channels, articles, sources, stories
from bot.storage.schema import sources as sources_table
from tests.retellings import FIRE_INTERFAX, FIRE_TASS

NOW = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
CHAT = -1001234567890


async def kinds(database) -> list[tuple[str, str, int | None]]:
    async with database.read() as conn:
        rows = await conn.execute(
            select(sources_table.c.kind, sources_table.c.url, sources_table.c.chat_id).order_by(
                sources_table.c.id
            )
        )
        return [tuple(row) for row in rows]


async def test_a_public_channel_source_becomes_the_administered_one(database):
    async with database.transaction() as conn:
        await conn.execute(
            sources_table.insert().values(kind="channel", url="https://t.me/s/vesti_news")
        )
        await sources.add_feed(conn, "https://vesti.example/rss")
        added = await admin_channels.add(conn, CHAT, "https://t.me/s/vesti_news", "Вести")
        # added again after a rename: still one source, under the new name
        again = await admin_channels.add(conn, CHAT, "https://t.me/s/vesti_live", "Вести LIVE")
    assert again.id == added.id
    assert await kinds(database) == [
        ("admin_channel", "https://t.me/s/vesti_live", CHAT),
        ("feed", "https://vesti.example/rss", None),
    ]
    async with database.read() as conn:
        assert await admin_channels.of_chat(conn, CHAT) == again
        assert await admin_channels.of_chat(conn, CHAT - 1) is None
        listed = [health.feed.kind for health in await sources.feeds_health(conn, NOW)]
    async with database.transaction() as conn:
        polled = await sources.claim_due_feed(conn, NOW + timedelta(days=1), timedelta(minutes=1))
        assert (
            await sources.claim_due_feed(conn, NOW + timedelta(days=1), timedelta(minutes=1))
            is None
        )
    assert polled.url == "https://vesti.example/rss"  # never the channel
    assert listed == ["admin_channel", "feed"]


async def test_renamed_onto_a_public_channel_source_keeps_one_source(database):
    async with database.transaction() as conn:
        await admin_channels.add(conn, CHAT, "https://t.me/c/1234567890", "Закрытый")
        await conn.execute(sources_table.insert().values(kind="channel", url="https://t.me/s/open"))
        await admin_channels.add(conn, CHAT, "https://t.me/s/open", "Открытый")
    assert await kinds(database) == [("admin_channel", "https://t.me/s/open", CHAT)]


@pytest.mark.parametrize("how", ["chat id", "URL", "id"])
async def test_remove_by_chat_id_url_or_id(database, how):
    async with database.transaction() as conn:
        added = await admin_channels.add(conn, CHAT, "https://t.me/s/vesti_news", "Вести")
        remove = {
            "chat id": lambda: admin_channels.remove(conn, CHAT),
            "URL": lambda: sources.remove_feed(conn, "https://t.me/s/vesti_news"),
            "id": lambda: sources.remove_feed(conn, added.id),
        }[how]
        assert await remove()
        assert not await remove()
        assert await admin_channels.of_chat(conn, CHAT) is None


async def test_an_album_is_claimed_once_and_old_claims_are_pruned(database):
    async def claim(chat: int, group: str, at: datetime) -> bool:
        async with database.transaction() as conn:
            return await admin_channels.claim_album(conn, chat, group, at)

    assert await claim(CHAT, "13579", NOW)
    assert not await claim(CHAT, "13579", NOW + timedelta(seconds=1))
    assert await claim(CHAT - 1, "13579", NOW)  # another channel's album
    assert await claim(CHAT, "24680", NOW + timedelta(days=2))  # prunes the day-old claims
    assert await claim(CHAT, "13579", NOW + timedelta(days=2))


async def test_feed_lists_say_an_administered_channel_is_not_polled(database):
    async with database.transaction() as conn:
        await admin_channels.add(conn, CHAT, "https://t.me/s/vesti_news", "Вести")
        [health] = await sources.feeds_health(conn, NOW)
    assert feed_lines(health, NOW, UTC) == [
        "   1  https://t.me/s/vesti_news  administered channel: posts arrive as updates, 0 in 24 h"
    ]


async def test_posts_without_a_source_name_count_as_their_channels(database):
    posts = [
        replace(retold, url=url, source_name=None)
        for retold, url in [
            (FIRE_TASS, "https://t.me/first_channel/10"),
            (FIRE_INTERFAX, "https://t.me/second_channel/20"),
        ]
    ]
    first, _ = await ingest_documents(database, posts)
    async with database.read() as conn:
        view = await articles.get(conn, first.article_id)
        told = await stories.story_sources(conn, [view.story_id])
    assert view.source_name == "@first_channel"  # not "t.me", which all channels share
    assert [source.outlet for source in told[view.story_id]] == [
        "@first_channel",
        "@second_channel",
    ]
