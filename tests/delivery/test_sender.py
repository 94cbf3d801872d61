"""Every Telegram error the sender handles, through the local Bot API server (localapi)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from bot.delivery.outbox import Outbox, article_item
from bot.delivery.worker import run_delivery
from bot.storage import chats
from bot.storage import deliveries as queries
from bot.storage.schema import deliveries, subscriptions, utcnow
from localapi import Fault


async def deliver_until(
    world, bot, settings, done: Callable[[], Awaitable[bool]], *, within: float = 5.0
) -> None:
    """Run the delivery worker until `done()` holds (checked every 20 ms), then stop it."""
    stop = asyncio.Event()
    worker = asyncio.create_task(run_delivery(world.db, bot, settings, stop))
    try:
        async with asyncio.timeout(within):
            while not await done():  # noqa: ASYNC110 (the state is in the database)
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await worker


async def enqueue_push(world, chat_id: int, article_id: int) -> None:
    row = {"chat_id": chat_id, "item": article_item(article_id), "article_id": article_id}
    await Outbox(world.db, utcnow).enqueue([row])


async def row_of(world, chat_id: int, item: str):
    async with world.db.read() as conn:
        found = await conn.execute(
            select(deliveries).where(deliveries.c.chat_id == chat_id, deliveries.c.item == item)
        )
        return found.first()


def settled(world, chat_id: int, item: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        row = await row_of(world, chat_id, item)
        return row is not None and row.state != "pending"

    return check


def settled_all(world, chat_id: int, items: list[str]) -> Callable[[], Awaitable[bool]]:
    checks = [settled(world, chat_id, item) for item in items]

    async def check() -> bool:
        return all([await each() for each in checks])

    return check


@pytest.fixture
async def push(sqlite_world):
    """One private chat (42) with one pending article push; its item key."""
    await sqlite_world.chat(42)
    article = await sqlite_world.article("Курс рубля вырос")
    await enqueue_push(sqlite_world, 42, article)
    return article_item(article)


async def test_a_push_is_sent_and_marked_with_its_message_id(
    sqlite_world, make_settings, bot_api, bot, push
):
    await deliver_until(sqlite_world, bot, make_settings(), settled(sqlite_world, 42, push))
    [message] = bot_api.sent_messages(42)
    assert message["text"].startswith("Курс рубля вырос")
    link = next(entity for entity in message["entities"] if entity["type"] == "text_link")
    assert link["url"].startswith("https://example.ru/news/")  # the title links to the source
    row = await row_of(sqlite_world, 42, push)
    assert (row.state, row.message_id, row.attempts) == ("sent", message["message_id"], 0)


async def test_a_broadcast_is_sent_once_per_chat_on_both_backends(
    world, make_settings, bot_api, bot
):
    article = await world.article("Новость для всех")
    for chat_id in range(1, 21):
        await world.chat(chat_id)
        await enqueue_push(world, chat_id, article)
    await deliver_until(world, bot, make_settings(), all_sent(world, 20))
    assert sorted(m["chat"]["id"] for m in bot_api.sent_messages()) == list(range(1, 21))


def all_sent(world, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with world.db.read() as conn:
            return await queries.counts(conn) == {"sent": count}

    return check


async def test_retry_after_waits_for_that_chat_then_sends_once(
    sqlite_world, make_settings, bot_api, bot, push
):
    bot_api.fail(Fault.retry_after(1), chat_id=42)
    await deliver_until(sqlite_world, bot, make_settings(), settled(sqlite_world, 42, push))
    refused, accepted = bot_api.calls_to("sendMessage")
    assert (refused.status, accepted.status) == (429, 200)
    assert accepted.at - refused.at >= 1.0
    row = await row_of(sqlite_world, 42, push)
    assert (row.state, row.attempts) == ("sent", 0)  # a flood wait is not a failed attempt
    assert len(bot_api.sent_messages(42)) == 1


async def test_retry_after_in_several_chats_pauses_the_whole_bot(
    sqlite_world, make_settings, bot_api, bot
):
    article = await sqlite_world.article("Новость для всех")
    for chat_id in (1, 2, 3):
        await sqlite_world.chat(chat_id)
        await enqueue_push(sqlite_world, chat_id, article)
    bot_api.fail(Fault.retry_after(1), chat_id=1)
    bot_api.fail(Fault.retry_after(1), chat_id=2)
    settings = make_settings(delivery_concurrency=1)
    await deliver_until(
        sqlite_world, bot, settings, settled(sqlite_world, 3, article_item(article))
    )
    calls = bot_api.calls_to("sendMessage")
    second_refusal = [call for call in calls if call.status == 429][-1]
    [to_chat_3] = [call for call in calls if call.chat_id == 3]
    assert to_chat_3.at - second_refusal.at >= 1.0


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (
            Fault.forbidden(),
            "TelegramForbiddenError: Forbidden: bot was blocked by the user",
        ),
        (
            Fault.forbidden("bot was kicked from the group chat"),
            "TelegramForbiddenError: Forbidden: bot was kicked from the group chat",
        ),
        (
            Fault.chat_not_found(),
            "TelegramBadRequest: Bad Request: chat not found",
        ),
    ],
)
async def test_a_chat_that_is_gone_is_deactivated_and_its_rows_dropped(
    sqlite_world, make_settings, bot_api, bot, push, fault, reason
):
    later = await sqlite_world.article("Ещё одна новость")
    await enqueue_push(sqlite_world, 42, later)
    bot_api.fail(fault, chat_id=42)
    await deliver_until(sqlite_world, bot, make_settings(), settled(sqlite_world, 42, push))
    async with sqlite_world.db.read() as conn:
        chat = await chats.get_chat(conn, 42)
        states = await queries.counts(conn)
    assert (chat.active, await inactive_reason(sqlite_world, 42)) == (False, reason)
    assert states == {"dropped": 2}
    assert len(bot_api.calls_to("sendMessage")) == 1  # nothing more was tried


async def inactive_reason(world, chat_id: int) -> str:
    from bot.storage.schema import chats as chats_table

    async with world.db.read() as conn:
        return await conn.scalar(
            select(chats_table.c.inactive_reason).where(chats_table.c.id == chat_id)
        )


async def test_a_group_that_became_a_supergroup_gets_it_there(
    sqlite_world, make_settings, bot_api, bot
):
    await sqlite_world.chat(-555, "group", topics=("economy", "sport"))
    article = await sqlite_world.article("Новость для группы")
    later = await sqlite_world.article("Ещё новость для группы")
    await enqueue_push(sqlite_world, -555, article)
    await enqueue_push(sqlite_world, -555, later)
    bot_api.fail(Fault.migrate(-1005550000000), chat_id=-555)
    supergroup = -1005550000000
    both = settled_all(sqlite_world, supergroup, [article_item(article), article_item(later)])
    await deliver_until(sqlite_world, bot, make_settings(), both)
    # Both pushes go to the supergroup, the second without another refusal.
    assert [m["chat"]["id"] for m in bot_api.sent_messages()] == [supergroup] * 2
    assert len(bot_api.calls_to("sendMessage")) == 3
    async with sqlite_world.db.read() as conn:
        assert await chats.get_chat(conn, -555) is None
        moved = await conn.scalars(
            select(subscriptions.c.value).where(subscriptions.c.chat_id == supergroup)
        )
        assert sorted(moved) == ["economy", "sport"]
    assert (await row_of(sqlite_world, supergroup, article_item(article))).state == "sent"


@pytest.mark.parametrize(
    "fault",
    [
        Fault.cant_parse_entities(),
        Fault.bad_request("Unsupported URL protocol"),  # a link Telegram cannot open
        Fault.bad_request("Wrong HTTP URL"),
    ],
)
async def test_a_parse_error_is_resent_as_plain_text(
    sqlite_world, make_settings, bot_api, bot, push, fault
):
    bot_api.fail(fault, chat_id=42)
    await deliver_until(sqlite_world, bot, make_settings(), settled(sqlite_world, 42, push))
    refused, accepted = bot_api.calls_to("sendMessage")
    assert refused.params.get("entities") and not accepted.params.get("entities")
    assert accepted.params["text"] == refused.params["text"]
    assert (await row_of(sqlite_world, 42, push)).state == "sent"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.server_error(500), "TelegramServerError"),
        (Fault.server_error(502), "TelegramServerError"),
        (Fault.dropped(), "TelegramNetworkError"),
    ],
)
async def test_server_and_network_errors_are_retried_with_backoff(
    sqlite_world, make_settings, bot_api, bot, push, fault, error
):
    bot_api.fail(fault, chat_id=42, times=2)
    await deliver_until(sqlite_world, bot, make_settings(), settled(sqlite_world, 42, push))
    statuses = [call.status for call in bot_api.calls_to("sendMessage")]
    assert statuses[-1] == 200 and len(statuses) == 3
    row = await row_of(sqlite_world, 42, push)
    assert (row.state, row.attempts, row.last_error.split(":")[0]) == ("sent", 2, error)
    assert len(bot_api.sent_messages(42)) == 1


async def test_a_timeout_is_retried_and_may_repeat_that_one_message(
    sqlite_world, make_settings, bot_api, bot, push
):
    """The slow answer was delivered (as a real timeout may be): one duplicate, no more."""
    bot_api.fail(Fault.slow(1.0), chat_id=42)
    settings = make_settings(delivery_timeout=0.3)
    await deliver_until(sqlite_world, bot, settings, settled(sqlite_world, 42, push))
    row = await row_of(sqlite_world, 42, push)
    assert (row.state, row.attempts) == ("sent", 1)
    assert "Request timeout error" in row.last_error
    assert len(bot_api.sent_messages(42)) == 2


async def test_errors_that_do_not_pass_fail_with_the_reason_for_stats(
    sqlite_world, make_settings, bot_api, bot, push
):
    bot_api.fail(Fault.server_error(500), chat_id=42, times=None)
    settings = make_settings(delivery_max_attempts=3)
    await deliver_until(sqlite_world, bot, settings, settled(sqlite_world, 42, push))
    assert len(bot_api.calls_to("sendMessage")) == 3
    async with sqlite_world.db.read() as conn:
        [error] = await queries.last_errors(conn)
    assert (error.chat_id, error.item, error.state, error.attempts) == (42, push, "failed", 3)
    assert error.error == "TelegramServerError: Internal Server Error"


async def test_a_request_telegram_rejects_fails_at_once(
    sqlite_world, make_settings, bot_api, bot, push
):
    bot_api.fail(Fault.bad_request("message is too long"), chat_id=42)
    await deliver_until(sqlite_world, bot, make_settings(), settled(sqlite_world, 42, push))
    row = await row_of(sqlite_world, 42, push)
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error.endswith("Bad Request: message is too long")
