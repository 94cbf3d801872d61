"""Channels the bot administers, through the local Bot API server: /feed add asks Telegram
whether the bot administers the channel; its channel_post updates become articles at once
(captions too, an album once), with permalinks; other channels' posts and edits are ignored;
a subscriber gets the push; a post joins the story of the articles about its event."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot import texts
from bot.app import build_bot
from bot.delivery.worker import run_delivery
from bot.ingest.pipeline import ingest_documents
from bot.storage import admin_channels, sources
from bot.storage.schema import article_sources, articles
from localapi import Fault, channel_chat, supergroup_chat
from localapi.objects import BOT_ID
from tests.delivery.conftest import FAST
from tests.ingest.conftest import site  # noqa: F401
from tests.retellings import FIRE_INTERFAX, FIRE_TASS, FIRE_TITLE

CHANNEL = channel_chat(-1001234567890, "Заречные вести", username="Zarechye_News")
PRIVATE = channel_chat(-1009876543210, "Закрытый канал")
OTHER = channel_chat(-1005555555555, "Чужой канал", username="someone_else")
GROUP = supergroup_chat(-1002223334445, "Чат района")
MASH = channel_chat(-1007777777777, "Mash", username="breakingmash")

TRAM = (
    "В Заречном запустили первую за сорок лет трамвайную линию.\n"
    "Трамваи пошли от вокзала до микрорайона Северный, поездка стоит 40 рублей, "
    "интервал движения днём — семь минут."
)
MARATHON = (
    "На Заречный марафон записались 12 тысяч бегунов, рекорд за всю историю забега. "
    "Старт дадут в воскресенье в девять утра на набережной."
)
ALBUM = (
    "Фоторепортаж: как строили новую набережную в Заречном, от первых свай до открытия. "
    "Работы шли два года и обошлись городу в 900 млн рублей.",
    "Второй снимок альбома: вид на набережную с моста вечером, когда включили подсветку.",
)
FIRE_POST = (
    "Пожар на складе стройматериалов в Заречном: огонь охватил 2 тыс. кв. м, тушили "
    "больше 80 пожарных. Пострадавших нет, МЧС называет возможной причиной короткое замыкание."
)
FIRE_FORWARD = (
    "Ночью в Заречном сгорел склад стройматериалов площадью 2 тыс. кв. м. Внутри хранились "
    "утеплитель и пластиковые трубы, на тушение вывели больше 80 пожарных."
)


async def channel_posts(harness) -> dict[str, tuple[str, str, str]]:
    """Stored posts by URL: title, body and source name."""
    async with harness.db.read() as conn:
        rows = await conn.execute(
            select(articles.c.url, articles.c.title, articles.c.body, article_sources.c.name)
            .join(article_sources, article_sources.c.article_id == articles.c.id)
            .where(articles.c.url.startswith("https://t.me/"))
        )
        return {url: (title, body, name) for url, title, body, name in rows}


async def handled(harness) -> None:
    """Every update injected so far is handled: updates are taken in order, so those before
    a /help are being handled once it is answered, and settle() waits for them."""
    await harness.say("/help")


async def add_channel(harness, chat: dict, ref: str) -> str:
    harness.api.add_chat(chat)
    harness.api.set_member(chat["id"], BOT_ID, "administrator")
    [reply] = await harness.say(f"/feed add {ref}", user=harness.admin)
    return reply["text"]


async def test_posts_of_an_administered_channel_become_articles_at_once(harness):
    api = harness.api
    assert await add_channel(harness, CHANNEL, "@zarechye_news") == (
        texts.ADMIN_CHANNEL_ADDED.format("Заречные вести")
    )
    text = api.inject_channel_post(CHANNEL, TRAM)
    api.inject_channel_post(CHANNEL, caption=MARATHON)
    for caption in ALBUM:  # one post per photo, the second captioned too
        api.inject_channel_post(CHANNEL, caption=caption, media_group_id="13579")
    api.inject_channel_post(CHANNEL, caption=None)  # a photo alone: no text
    api.inject_channel_post(OTHER, TRAM.replace("Заречном", "Северске"))
    api.inject_channel_post_edit(text, "Исправлено: " + TRAM)
    await handled(harness)
    stored = await channel_posts(harness)
    assert {url: (title, name) for url, (title, _, name) in stored.items()} == {
        "https://t.me/zarechye_news/1": (TRAM.partition(".")[0], "Заречные вести"),
        "https://t.me/zarechye_news/2": (MARATHON.partition(".")[0], "Заречные вести"),
        "https://t.me/zarechye_news/3": (ALBUM[0].partition(".")[0], "Заречные вести"),
    }
    bodies = " ".join(body for _, body, _ in stored.values())
    assert "Второй снимок" not in bodies and "Исправлено" not in bodies
    [poll] = api.calls_to("getUpdates")[:1]
    assert "channel_post" in poll.params["allowed_updates"]
    assert "edited_channel_post" not in poll.params["allowed_updates"]
    assert [list(update)[1] for update in api.discarded] == ["edited_channel_post"]


async def test_feeds_lists_the_channel_and_remove_stops_its_posts(harness):
    await add_channel(harness, CHANNEL, "https://t.me/zarechye_news")
    [listing] = await harness.say("/feeds", user=harness.admin)
    assert listing["text"].splitlines()[1:] == [
        "1. Заречные вести — https://t.me/s/zarechye_news",
        texts.ADMIN_CHANNEL_STATE.format(0),
    ]
    [reply] = await harness.say("/feed remove @zarechye_news", user=harness.admin)
    assert reply["text"] == texts.FEED_REMOVED
    harness.api.inject_channel_post(CHANNEL, TRAM)
    await handled(harness)
    assert await channel_posts(harness) == {}


async def test_a_private_channel_is_added_by_its_id_with_private_permalinks(harness):
    assert await add_channel(harness, PRIVATE, "-1009876543210") == (
        texts.ADMIN_CHANNEL_ADDED.format("Закрытый канал")
    )
    harness.api.inject_channel_post(PRIVATE, TRAM)
    await handled(harness)
    assert list(await channel_posts(harness)) == ["https://t.me/c/9876543210/1"]
    [reply] = await harness.say("/feed remove -1009876543210", user=harness.admin)
    assert reply["text"] == texts.FEED_REMOVED


@pytest.mark.parametrize(
    ("chat", "status", "ref", "answer"),
    [
        (PRIVATE, "member", "-1009876543210", texts.ADMIN_CHANNEL_REFUSED.format("-1009876543210")),
        (
            GROUP,
            "administrator",
            "-1002223334445",
            texts.ADMIN_CHANNEL_REFUSED.format("-1002223334445"),
        ),
        (PRIVATE, "administrator", "@bad!name", "«@bad!name» — не имя канала"),
    ],
)
async def test_what_the_bot_does_not_administer_is_refused_in_one_line(
    harness, chat, status, ref, answer
):
    harness.api.add_chat(chat)
    harness.api.set_member(chat["id"], BOT_ID, status)
    [reply] = await harness.say(f"/feed add {ref}", user=harness.admin)
    assert reply["text"].startswith(answer)
    async with harness.db.read() as conn:
        assert await admin_channels.of_chat(conn, chat["id"]) is None


@pytest.mark.parametrize("administered_before", [False, True])
async def test_a_public_channel_the_bot_does_not_administer_is_read_from_its_preview(
    harness, administered_before
):
    if administered_before:
        await add_channel(harness, OTHER, "@someone_else")
    harness.api.add_chat(OTHER)
    harness.api.set_member(OTHER["id"], BOT_ID, "member")
    [reply] = await harness.say("/feed add @someone_else", user=harness.admin)
    asked = [call.params for call in harness.api.calls_to("getChatMember")]
    assert asked[-1] == {"chat_id": OTHER["id"], "user_id": BOT_ID}
    assert reply["text"] == texts.CHANNEL_ADDED
    async with harness.db.read() as conn:
        listed = await sources.list_feeds(conn, (*sources.POLLED, sources.ADMIN_CHANNEL))
    assert [(feed.url, feed.kind) for feed in listed] == [
        ("https://t.me/s/someone_else", sources.CHANNEL)
    ]


async def test_a_non_admin_cannot_add_a_channel(harness):
    harness.api.set_member(CHANNEL["id"], BOT_ID, "administrator")
    harness.api.add_chat(CHANNEL)
    [reply] = await harness.say("/feed add @zarechye_news")
    assert reply["text"] == texts.NOT_ADMIN
    assert harness.api.calls_to("getChatMember") == []


async def test_a_subscriber_gets_the_push_of_a_post(harness_with):
    async with harness_with(**FAST) as harness:
        await add_channel(harness, CHANNEL, "@zarechye_news")
        await harness.say("/subscribe трамвай")
        await harness.say("/instant on")
        harness.api.inject_channel_post(CHANNEL, TRAM)
        await handled(harness)
        stop = asyncio.Event()
        bot = build_bot("123456:TEST", harness.settings)
        delivery = asyncio.create_task(run_delivery(harness.db, bot, harness.settings, stop))
        try:
            before = len(harness.api.sent_messages(harness.user["id"]))
            sent = await harness.api.wait_sent(harness.user["id"], count=before + 1)
        finally:
            stop.set()
            await delivery
            await bot.session.close()
    push = sent[-1]
    assert push["text"].startswith(TRAM.partition(".")[0])
    links = [entity.get("url") for entity in push["entities"]]
    assert "https://t.me/zarechye_news/1" in links


async def test_a_post_joins_the_story_of_its_event_and_counts_as_an_outlet(harness):
    await ingest_documents(harness.db, [FIRE_TASS, FIRE_INTERFAX])
    await add_channel(harness, CHANNEL, "@zarechye_news")
    harness.api.inject_channel_post(CHANNEL, FIRE_POST)
    harness.api.inject_channel_post(CHANNEL, FIRE_FORWARD, forwarded_from=MASH)
    await handled(harness)
    [reply] = await harness.say("/top 1")
    assert FIRE_TITLE in reply["text"]
    assert "4 источника: ТАСС, Интерфакс, Заречные вести, Mash" in reply["text"]
    links = [entity.get("url") for entity in reply["entities"] if entity["type"] == "text_link"]
    assert links[-4:] == [
        FIRE_TASS.url,
        FIRE_INTERFAX.url,
        "https://t.me/zarechye_news/1",
        "https://t.me/zarechye_news/2",
    ]


async def test_a_post_delivered_twice_is_one_article_with_one_source(harness):
    await add_channel(harness, CHANNEL, "@zarechye_news")
    update = harness.api.inject_channel_post(CHANNEL, TRAM)
    await handled(harness)
    harness.api.inject(update)  # redelivered, as after a restart before the offset was confirmed
    await handled(harness)
    async with harness.db.read() as conn:
        seen = await conn.scalars(
            select(article_sources.c.url).where(article_sources.c.url.startswith("https://t.me/"))
        )
        assert list(seen) == ["https://t.me/zarechye_news/1"]


async def test_a_channel_the_bot_no_longer_administers_is_polled_or_marked_failing(harness):
    api = harness.api
    await add_channel(harness, CHANNEL, "@zarechye_news")
    await add_channel(harness, PRIVATE, "-1009876543210")
    api.inject_my_chat_member(CHANNEL, "member")  # demoted: read from its web preview now
    api.inject_my_chat_member(PRIVATE, "left")  # removed: nothing to read it from
    await handled(harness)
    async with harness.db.read() as conn:
        listed = await sources.list_feeds(conn, (*sources.POLLED, sources.ADMIN_CHANNEL))
    assert [(feed.url, feed.kind) for feed in listed] == [
        ("https://t.me/s/zarechye_news", sources.CHANNEL),
        ("https://t.me/c/9876543210", sources.ADMIN_CHANNEL),
    ]
    [listing] = await harness.say("/feeds", user=harness.admin)
    assert texts.ADMIN_CHANNEL_LOST in listing["text"]
    api.inject_my_chat_member(PRIVATE, "administrator")
    await handled(harness)
    [listing] = await harness.say("/feeds", user=harness.admin)
    assert texts.ADMIN_CHANNEL_LOST not in listing["text"]


async def test_a_teaser_post_is_completed_from_its_link(harness_with, site):  # noqa: F811
    article = "".join(f"<p>{line}</p>" for line in FIRE_TASS.text.split(". "))
    link = site.serve("/fire", f"<html><body><article><h1>Пожар</h1>{article}</article></body>")
    async with harness_with(allow_private_urls=True) as harness:
        await add_channel(harness, CHANNEL, "@zarechye_news")
        harness.api.inject_channel_post(CHANNEL, f"Склад горел всю ночь, подробности: {link}")
        await handled(harness)
        [(_, body, name)] = (await channel_posts(harness)).values()
    assert "80 пожарных" in body and name == "Заречные вести"  # the page's text, the post's URL
    assert len(site.hits("/fire")) == 1


@pytest.mark.parametrize("fault", [Fault.server_error(502), Fault.retry_after(30)])
async def test_telegram_failing_to_answer_is_said_in_one_line(harness, fault):
    harness.api.add_chat(CHANNEL)
    harness.api.set_member(CHANNEL["id"], BOT_ID, "administrator")
    harness.api.fail(fault, method="getChatMember", times=1)
    [reply] = await harness.say("/feed add @zarechye_news", user=harness.admin)
    assert reply["text"] == texts.ADMIN_CHANNEL_NO_TELEGRAM
    async with harness.db.read() as conn:
        assert await admin_channels.of_chat(conn, CHANNEL["id"]) is None
