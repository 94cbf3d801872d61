"""What readers control, on SQLite and PostgreSQL: outlets followed as subscriptions and what
a chat mutes (words on lemmas, outlets, advertising), in /latest's pages, digests and pushes;
and migration 0012 down and up."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import select, text

from bot.adverts import is_advert
from bot.delivery.digests import enqueue_due_digests
from bot.delivery.pushes import scan_new_articles
from bot.storage import chats, mutes, stories
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.mutes import Hidden
from bot.storage.schema import deliveries, utcnow

SANCTIONS = "Новые санкции против банков"
ADVERT = "Скидки на ноутбуки"
ADVERT_TEXT = "Только до пятницы скидки. Реклама. ООО «Ромашка», ИНН 7700000000.\nerid: 2VtzqxABC"


async def articles_of_three_outlets(world, **when) -> dict[str, int]:
    return {
        "медуза": await world.article("Курс рубля", source="Медуза", **when),
        "рен": await world.article("Пожар на складе", source="РЕН ТВ", **when),
        "санкции": await world.article(
            SANCTIONS, "Введены новые санкции. Банки ответили.", source="Вестник", **when
        ),
        "реклама": await world.article(ADVERT, ADVERT_TEXT, source="Вестник", **when),
    }


@pytest.mark.parametrize(
    ("query", "hidden", "shown"),
    [
        ({}, None, {"медуза", "рен", "санкции", "реклама"}),
        ({}, Hidden(), {"медуза", "рен", "санкции"}),  # advertising hidden by default
        ({}, Hidden(show_ads=True), {"медуза", "рен", "санкции", "реклама"}),
        ({}, Hidden(words=("санкция",)), {"медуза", "рен"}),  # «санкция» mutes «санкции»
        ({}, Hidden(sources=frozenset({"РЕН ТВ"})), {"медуза", "санкции"}),
        ({"sources": ["Медуза"]}, Hidden(), {"медуза"}),
        ({"sources": ["Медуза", "РЕН ТВ"]}, Hidden(sources=frozenset({"РЕН ТВ"})), {"медуза"}),
        ({"topics": ["sport"], "sources": ["РЕН ТВ"]}, Hidden(), {"рен"}),
    ],
)
async def test_latest_follows_outlets_and_hides_what_the_chat_mutes(world, query, hidden, shown):
    ids = await articles_of_three_outlets(world)
    async with world.db.read() as conn:
        told = await stories.latest_page(conn, **query, count=10, hidden=hidden)
    assert {name for name, id_ in ids.items() if id_ in {v.id for v in told.views}} == shown


@pytest.mark.parametrize(
    ("muted", "shown"),
    [({"РЕН ТВ"}, True), ({"ТАСС"}, True), ({"РЕН ТВ", "ТАСС"}, False)],
)
async def test_a_muted_outlet_hides_a_story_only_when_every_outlet_of_it_is_muted(
    world, muted, shown
):
    first = await world.article("Пожар на складе", source="РЕН ТВ")
    second = await world.article("Склад горит", source="ТАСС")
    at = utcnow()
    async with world.db.transaction() as conn:
        await stories.record(
            conn,
            [
                stories.Joined(first, first, at, (), None),
                stories.Joined(second, first, at, (), None),
            ],
        )
    async with world.db.read() as conn:
        told = await stories.latest_page(conn, count=5, hidden=Hidden(sources=frozenset(muted)))
    assert [view.story_id for view in told.views] == ([first] if shown else [])


async def mute(world, chat_id: int, kind: str, value: str) -> None:
    async with world.db.transaction() as conn:
        await mutes.add(conn, chat_id, kind, value, value)


async def follow(world, chat_id: int, outlet: str) -> None:
    async with world.db.transaction() as conn:
        await chats.add_subscription(conn, chat_id, chats.SOURCE, outlet, outlet)


def utc(hour: int) -> datetime:
    return datetime(2026, 11, 26, hour, tzinfo=UTC)


async def test_digests_follow_outlets_and_leave_out_what_each_chat_mutes(world, make_settings):
    await world.chat(1, topics=(), digest_time="09:00")
    await follow(world, 1, "Медуза")
    await world.chat(2, digest_time="09:00")  # economy: every article below
    await mute(world, 2, mutes.WORD, "санкция")
    await mute(world, 2, mutes.SOURCE, "РЕН ТВ")
    await world.chat(3, digest_time="09:00")
    async with world.db.transaction() as conn:
        await chats.set_chat_options(conn, 3, show_ads=True)
    ids = await articles_of_three_outlets(world, ingested_at=utc(1))
    assert await enqueue_due_digests(world.db, make_settings(), utc(6)) == 3
    async with world.db.read() as conn:
        rows = await conn.execute(select(deliveries.c.chat_id, deliveries.c.payload))
        got = {chat: set(json.loads(payload)) for chat, payload in rows}
    assert got == {
        1: {ids["медуза"]},
        2: {ids["медуза"]},
        3: set(ids.values()),
    }


async def test_pushes_follow_outlets_and_leave_out_what_each_chat_mutes(world, make_settings):
    await world.chat(1, topics=(), instant=True)
    await follow(world, 1, "Медуза")
    await world.chat(2, instant=True)
    await mute(world, 2, mutes.WORD, "санкция")
    await mute(world, 2, mutes.SOURCE, "РЕН ТВ")
    await world.chat(3, instant=True)
    async with world.db.transaction() as conn:
        await chats.set_chat_options(conn, 3, show_ads=True)
    ids = await articles_of_three_outlets(world)
    await scan_new_articles(world.db, make_settings(), utcnow())
    async with world.db.read() as conn:
        rows = await conn.execute(select(deliveries.c.chat_id, deliveries.c.article_id))
        got: dict[int, set[int]] = {}
        for chat, article in rows:
            got.setdefault(chat, set()).add(article)
    assert got == {1: {ids["медуза"]}, 2: {ids["медуза"]}, 3: set(ids.values())}


@pytest.mark.parametrize(
    ("text", "advert"),
    [
        ("Скидки! #реклама", True),
        ("#Реклама\nКупите слона", True),
        (ADVERT_TEXT, True),
        ("Текст.\nРеклама: ООО «Ромашка»", True),
        ("Erid: 2VtzqxABC", True),
        ("Рынок рекламы вырос на 20%. Реклама в интернете дорожает.", False),
        ("#рекламный_рынок растёт", False),
        ("Компания Merida: новые велосипеды", False),
    ],
)
def test_advertising_is_recognised_by_its_legal_markers(text, advert):
    assert is_advert(text) is advert


async def test_migration_0012_goes_back_and_forth_keeping_chats(database):
    def downgrade_to_0011(sync_connection) -> None:
        command.downgrade(alembic_config(sync_connection), "0011")

    async with database.transaction() as conn:
        await chats.upsert_chat(conn, 5, "private")
        await chats.add_subscription(conn, 5, chats.TOPIC, "sport", "Спорт")
        await chats.add_subscription(conn, 5, chats.SOURCE, "Медуза", "Медуза")
        await mutes.add(conn, 5, mutes.WORD, "санкция", "санкции")
        await conn.run_sync(downgrade_to_0011)
        kept = await conn.execute(text("SELECT chat_id, kind FROM subscriptions"))
        assert kept.all() == [(5, "topic")]
    await upgrade(database)
    async with database.read() as conn:
        chat = await chats.get_chat(conn, 5)
        # A chat from before 0012 chose its delivery already: it is not asked again.
        assert chat.delivery_asked and not chat.show_ads and chat.link_preview is None
        assert await mutes.listed(conn, 5) == []


@pytest.mark.parametrize("supergroup_known", [False, True])
async def test_a_group_that_becomes_a_supergroup_keeps_its_mutes(world, supergroup_known):
    await world.chat(-100, "group")
    if supergroup_known:
        await world.chat(-1001, "supergroup")
    await mute(world, -100, mutes.WORD, "санкция")
    async with world.db.transaction() as conn:
        await chats.migrate_chat(conn, -100, -1001)
    async with world.db.read() as conn:
        assert [m.value for m in await mutes.listed(conn, -1001)] == ["санкция"]
        assert await mutes.listed(conn, -100) == []
