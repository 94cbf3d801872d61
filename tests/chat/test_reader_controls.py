"""What readers control, end to end through the local Bot API server: the delivery question at
a new chat's first subscription and its default 09:00 digest (on a clock the test holds),
outlets followed by command and by /sources buttons, /mute by lemma, by outlet and for
advertising, and the preview and length settings as they reach sendMessage."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from bot import texts
from bot.delivery.worker import run_delivery
from bot.storage import articles, chats, mutes
from bot.storage.articles import SourceRef
from bot.storage.schema import articles as articles_table
from localapi import make_bot
from tests.support.databases import sample_article

DELIVERY = {"digest_check_interval": 0.05, "delivery_poll": 0.05, "push_scan_interval": 0.05}
_serial = itertools.count(1)


def labels(message: dict) -> list[str]:
    rows = message["reply_markup"]["inline_keyboard"]
    return [button["text"] for row in rows for button in row]


async def add_article(
    harness,
    title: str,
    text: str = "Первая фраза о событии. Вторая фраза о нём. Третья фраза. Четвёртая фраза.",
    *,
    outlet: str = "Вестник",
    url: str | None = None,
    topics: tuple[str, ...] = ("economy",),
    ingested_at: datetime | None = None,
) -> int:
    serial = next(_serial)
    url = url or f"https://vestnik.example/news/{serial}"
    new = sample_article(
        title, text, key=f"reader-{serial}", url=url, topics=topics,
        source=SourceRef(url=url, name=outlet),
    )  # fmt: skip
    async with harness.db.transaction() as conn:
        await articles.ensure_topics(conn, topics)
    async with harness.db.transaction() as conn:
        article_id = await articles.insert(conn, new)
        if ingested_at is not None:
            await conn.execute(
                update(articles_table)
                .where(articles_table.c.id == article_id)
                .values(ingested_at=ingested_at)
            )
    return article_id


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextlib.asynccontextmanager
async def delivering(harness, clock=None) -> AsyncIterator[None]:
    """The delivery worker (pushes and digests) running beside the bot."""
    bot = make_bot(harness.api.base_url)
    stop = asyncio.Event()
    options = {} if clock is None else {"clock": clock}
    worker = asyncio.create_task(run_delivery(harness.db, bot, harness.settings, stop, **options))
    try:
        yield
    finally:
        stop.set()
        await worker
        await bot.session.close()


async def stored_chat(harness) -> chats.Chat:
    async with harness.db.read() as conn:
        return await chats.get_chat(conn, harness.user["id"])


# --- delivery chosen at the first subscription ----------------------------------------------


async def test_a_new_chat_is_asked_once_and_gets_a_digest_at_nine_in_its_own_zone(harness_with):
    async with harness_with(**DELIVERY) as harness:
        user = harness.user["id"]
        await harness.say("/timezone Asia/Almaty")
        reply, asked = await harness.say("/subscribe экономика", count=2)
        assert reply["text"].startswith("Готово")
        assert asked["text"] == texts.DELIVERY_ASK.format("Asia/Almaty")
        assert labels(asked) == [
            texts.BUTTON_DELIVERY_INSTANT,
            texts.BUTTON_DELIVERY_DAILY,
            texts.BUTTON_DELIVERY_TIME,
        ]
        [again] = await harness.say("/subscribe спорт")  # asked once only
        assert again["text"].startswith("Готово")
        chat = await stored_chat(harness)
        assert chat.digest_time == "09:00" and not chat.instant
        # No digest at once: the default's first is the next 09:00 after the subscription.
        assert chat.last_digest_at is not None
        async with harness.db.transaction() as conn:  # as if subscribed the evening before
            evening = datetime(2026, 11, 25, 15, tzinfo=UTC)
            await chats.set_chat_options(conn, user, last_digest_at=evening)
        await add_article(harness, "Курс тенге", ingested_at=datetime(2026, 11, 26, 1, tzinfo=UTC))
        clock = Clock(datetime(2026, 11, 26, 3, 59, tzinfo=UTC))  # 08:59 in Almaty
        before = len(harness.api.sent_messages(user))
        async with delivering(harness, clock):
            await asyncio.sleep(0.3)
            assert len(harness.api.sent_messages(user)) == before
            clock.now = datetime(2026, 11, 26, 4, tzinfo=UTC)  # 09:00 in Almaty
            sent = await harness.api.wait_sent(user, count=before + 1)
        assert sent[-1]["text"].startswith("Сводка · 26.11.2026")
        assert "Курс тенге" in sent[-1]["text"]


@pytest.mark.parametrize(
    ("button", "instant", "digest_time", "answer"),
    [
        (0, True, None, texts.DELIVERY_INSTANT),
        (1, False, "09:00", texts.DELIVERY_DAILY.format("Europe/Moscow")),
        (2, False, "09:00", "Напишите время сводки: /schedule 18:30."),
    ],
)
async def test_the_answer_sets_how_news_comes(harness, button, instant, digest_time, answer):
    _, asked = await harness.say("/subscribe экономика", count=2)
    await harness.press(asked, button=button)
    assert harness.current(asked)["text"] == answer
    chat = await stored_chat(harness)
    assert (chat.instant, chat.digest_time) == (instant, digest_time)


async def test_a_chat_that_chose_instant_pushes_is_not_asked(harness):
    await harness.say("/instant on")
    [reply] = await harness.say("/subscribe экономика")
    assert reply["text"].startswith("Готово")
    chat = await stored_chat(harness)
    assert chat.instant and chat.digest_time is None


# --- sources as subscriptions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "outlet"),
    [
        ("источник медуза", "Медуза"),
        ("meduza.io", "Медуза"),
        ("https://www.meduza.io/", "Медуза"),
        ("@meduzalive", "Медуза LIVE"),
        ("https://t.me/s/meduzalive", "Медуза LIVE"),
    ],
)
async def test_subscribe_to_an_outlet_by_name_domain_or_channel(harness, words, outlet):
    await harness.say("/instant on")  # no delivery question in the way
    await add_article(harness, "Сайт Медузы", outlet="Медуза", url="https://meduza.io/news/1")
    await add_article(harness, "Пост канала", outlet="Медуза LIVE", url="https://t.me/meduzalive/7")
    await add_article(harness, "Чужая новость", outlet="Вестник")
    [reply] = await harness.say(f"/subscribe {words}")
    assert reply["text"] == f"Готово: всё из «{outlet}»."
    [latest] = await harness.say("/latest")
    assert latest["text"].startswith(texts.LATEST_HEADER_SUBS)
    assert ("Сайт Медузы" in latest["text"]) is (outlet == "Медуза")
    assert ("Пост канала" in latest["text"]) is (outlet != "Медуза")
    assert "Чужая новость" not in latest["text"]
    [mysubs] = await harness.say("/mysubs")
    assert labels(mysubs) == [f"✖ 📰 {outlet}"]


@pytest.mark.parametrize(
    ("words", "answer"),
    [
        ("источник Нетакого", "Не нашёл источник «Нетакого». Все источники — /sources."),
        ("nosuch.example", "Не нашёл источник «nosuch.example». Все источники — /sources."),
        ("@ab", "«@ab» — не имя канала"),
    ],
)
async def test_an_unknown_outlet_is_said_so_and_nothing_is_stored(harness, words, answer):
    [reply] = await harness.say(f"/subscribe {words}")
    assert reply["text"].startswith(answer)
    async with harness.db.read() as conn:
        assert await chats.list_subscriptions(conn, harness.user["id"]) == []


async def test_sources_pages_and_a_press_follows_an_outlet(harness):
    await harness.say("/instant on")
    for number in range(12):
        await add_article(harness, f"Новость {number}", outlet=f"Издание {number:02d}")
    [listing] = await harness.say("/sources")
    assert listing["text"].startswith("Источники (")
    assert labels(listing)[-1] == texts.NEXT
    first = labels(listing)[0]
    await harness.press(listing, button=0)
    assert labels(harness.current(listing))[0] == f"✅ {first}"
    followed = first.rsplit(" (", 1)[0]
    async with harness.db.read() as conn:
        subs = await chats.list_subscriptions(conn, harness.user["id"])
    assert [(sub.kind, sub.value) for sub in subs][-1] == (chats.SOURCE, followed)
    await harness.press(harness.current(listing), data=labels_data(listing, texts.NEXT))
    assert labels(harness.current(listing))[-1] == texts.PREVIOUS


def labels_data(message: dict, label: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if b["text"] == label)


# --- mutes ------------------------------------------------------------------------------------


async def test_mute_a_word_by_its_lemma_and_bring_it_back_by_button(harness):
    await add_article(harness, "Новые санкции против банков", "Введены санкции. Банки ответили.")
    [shown] = await harness.say("/latest 1")
    assert "санкции" in shown["text"]
    [reply] = await harness.say("/mute санкция")
    assert reply["text"] == "Скрываю новости со словом «санкция»."
    [hidden] = await harness.say("/latest 1")
    assert "санкции" not in hidden["text"]
    [listing] = await harness.say("/mutes")
    assert labels(listing) == ["✖ 🔇 санкция", texts.BUTTON_ADS_SHOW]
    await harness.press(listing, button=0)
    [back] = await harness.say("/latest 1")
    assert "санкции" in back["text"]


async def test_top_leaves_out_what_is_muted(harness):
    await add_article(harness, "Новые санкции против банков", "Введены санкции. Банки ответили.")
    top = await harness.say("/top 20")
    assert "Новые санкции" in "".join(message["text"] for message in top)
    await harness.say("/mute санкция")
    top = await harness.say("/top 20")
    assert "Новые санкции" not in "".join(message["text"] for message in top)


async def test_mute_an_outlet_hides_its_stories(harness):
    await add_article(harness, "Пожар на складе", outlet="РЕН ТВ")
    [reply] = await harness.say("/mute источник рен тв")
    assert reply["text"] == "Скрываю новости только из «РЕН ТВ»."
    [latest] = await harness.say("/latest 3")
    assert "Пожар на складе" not in latest["text"]
    [reply] = await harness.say("/unmute источник РЕН ТВ")
    assert reply["text"] == "Снова показываю «РЕН ТВ»."
    [latest] = await harness.say("/latest 3")
    assert "Пожар на складе" in latest["text"]


async def test_advertising_is_hidden_unless_the_chat_asks_for_it(harness):
    await add_article(harness, "Скидки на ноутбуки", "Только до пятницы. #реклама erid: 2VtzqxAB")
    [latest] = await harness.say("/latest 1")
    assert "Скидки на ноутбуки" not in latest["text"]
    [reply] = await harness.say("/mute off реклама")
    assert reply["text"].startswith("Рекламу показываю.")
    [latest] = await harness.say("/latest 1")
    assert "Скидки на ноутбуки" in latest["text"]
    await harness.say("/mute реклама")
    [latest] = await harness.say("/latest 1")
    assert "Скидки на ноутбуки" not in latest["text"]


async def test_at_most_fifty_mutes(harness):
    await harness.say("/mute слово")
    async with harness.db.transaction() as conn:
        for number in range(49):
            await mutes.add(conn, harness.user["id"], mutes.WORD, f"слово{number}", "x")
    [reply] = await harness.say("/mute котики")
    assert reply["text"] == texts.TOO_MANY_MUTES.format(50)


# --- previews and length ----------------------------------------------------------------------

SENTENCES = tuple(f"Фраза номер {n} о событии." for n in range(1, 6))


@pytest.mark.parametrize(("button", "shown"), [(8, 1), (9, 3), (10, 5)])
async def test_the_length_setting_chooses_summary_sentences_in_latest(harness, button, shown):
    serial = next(_serial)
    new = sample_article(
        "Длинная история", " ".join(SENTENCES), key=f"reader-{serial}",
        url=f"https://vestnik.example/long/{serial}",
    )  # fmt: skip
    stored = replace(new, summary=SENTENCES[:3], long_summary=SENTENCES)  # as ingest stores
    async with harness.db.transaction() as conn:
        await articles.insert(conn, stored)
    [panel] = await harness.say("/settings")
    await harness.press(panel, button=button)
    [latest] = await harness.say("/latest 1")
    assert [sentence in latest["text"] for sentence in SENTENCES] == [n < shown for n in range(5)]


async def test_preview_and_length_settings_reach_send_message(harness_with):
    async with harness_with(**DELIVERY) as harness:
        user = harness.user["id"]
        await harness.say("/instant on")
        await harness.say("/subscribe квазар")  # in no seeded article: only ours are pushed
        [panel] = await harness.say("/settings")
        assert "Длина: обычно" in panel["text"]
        await harness.press(panel, button=8)  # "Длина: коротко"
        assert "Длина: коротко" in harness.current(panel)["text"]
        url = "https://vestnik.example/quasar"
        before = len(harness.api.sent_messages(user))
        async with delivering(harness):
            await add_article(harness, "Квазар вспыхнул", "Квазар виден. Вторая фраза.", url=url)
            await harness.api.wait_sent(user, count=before + 1)
            await harness.press(harness.current(panel), button=7)  # default -> on
            await harness.press(harness.current(panel), button=7)  # on -> off
            assert "Превью ссылок: выкл" in harness.current(panel)["text"]
            await add_article(harness, "Квазар погас", "Квазар погас. Вторая фраза.")
            await harness.api.wait_sent(user, count=before + 2)
        first, second = [
            call.params
            for call in harness.api.calls_to("sendMessage")
            if call.params["text"].startswith("Квазар")
        ]
        assert first["link_preview_options"] == {"is_disabled": False, "url": url}
        assert "Квазар виден." in first["text"] and "Вторая фраза" not in first["text"]
        assert second["link_preview_options"]["is_disabled"] is True


async def test_a_channel_follows_outlets_beside_topics(harness):
    from localapi import channel_chat

    channel = channel_chat(-1001234567890, "Новости Заречного", username="zarechny_news")
    harness.api.add_chat(channel)
    harness.api.set_member(channel["id"], harness.user["id"], "administrator")
    harness.api.set_member(channel["id"], 123456, "administrator")
    await add_article(harness, "Сайт Медузы", outlet="Медуза", url="https://meduza.io/news/1")
    [reply] = await harness.say("/channel add @zarechny_news нетакого.рф 09:00")
    assert reply["text"] == "Не знаю тем: нетакого.рф. Все темы — /topics."
    [reply] = await harness.say("/channel add @zarechny_news спорт, источник Медуза 09:00")
    assert reply["text"].endswith("по темам: Спорт, Медуза.")
    async with harness.db.read() as conn:
        subs = await chats.list_subscriptions(conn, channel["id"])
    assert {(sub.kind, sub.value) for sub in subs} == {("topic", "sport"), ("source", "Медуза")}
