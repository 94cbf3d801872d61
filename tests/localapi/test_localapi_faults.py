"""Injected faults reach aiogram as the exceptions real Telegram errors become."""

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from localapi import Fault, LocalBotAPI


@pytest.mark.parametrize(
    ("fault", "error", "description"),
    [
        (Fault.retry_after(7), TelegramRetryAfter, "Too Many Requests: retry after 7"),
        (Fault.forbidden(), TelegramForbiddenError, "Forbidden: bot was blocked by the user"),
        (
            Fault.forbidden("bot was kicked from the group chat"),
            TelegramForbiddenError,
            "Forbidden: bot was kicked from the group chat",
        ),
        (
            Fault.migrate(-1001234567890),
            TelegramMigrateToChat,
            "Bad Request: group chat was upgraded to a supergroup chat",
        ),
        (Fault.chat_not_found(), TelegramBadRequest, "Bad Request: chat not found"),
        (Fault.cant_parse_entities(), TelegramBadRequest, "Bad Request: can't parse entities"),
        (Fault.server_error(500), TelegramServerError, "Internal Server Error"),
        (Fault.server_error(502), TelegramServerError, "Bad Gateway"),
    ],
)
async def test_error_faults_raise_the_matching_aiogram_exception(
    bot_api: LocalBotAPI, bot: Bot, fault: Fault, error: type[Exception], description: str
) -> None:
    bot_api.fail(fault)
    with pytest.raises(error) as raised:
        await bot.send_message(42, "Сводка")

    assert description in raised.value.message
    assert bot_api.sent_messages() == []  # a refused message reaches nobody
    await bot.send_message(42, "Сводка")  # one-shot: the next call succeeds
    assert len(bot_api.sent_messages(42)) == 1


async def test_error_parameters_reach_aiogram(bot_api: LocalBotAPI, bot: Bot) -> None:
    bot_api.fail(Fault.retry_after(7))
    bot_api.fail(Fault.migrate(-1001234567890))
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(-555, "x")
    with pytest.raises(TelegramMigrateToChat) as migrated:
        await bot.send_message(-555, "x")
    assert flood.value.retry_after == 7
    assert migrated.value.migrate_to_chat_id == -1001234567890


async def test_error_json_and_status_are_telegrams(bot_api: LocalBotAPI) -> None:
    bot_api.fail(Fault.retry_after(3))
    url = f"{bot_api.base_url}/bot1:x/sendMessage"
    async with aiohttp.ClientSession() as http, http.post(url, data={"chat_id": "1"}) as response:
        assert response.status == 429
        assert await response.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        }


async def test_faults_target_a_chat_a_method_and_a_count(bot_api: LocalBotAPI, bot: Bot) -> None:
    bot_api.fail(Fault.forbidden(), chat_id=5, times=2)
    bot_api.fail(Fault.server_error(), method="getMe", times=None)

    await bot.send_message(6, "другому чату можно")
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(5, "заблокирован")
    await bot.send_message(5, "снова можно")
    for _ in range(3):
        with pytest.raises(TelegramServerError):
            await bot.get_me()

    assert [m["chat"]["id"] for m in bot_api.sent_messages()] == [6, 5]
    assert [c.status for c in bot_api.calls_to("sendMessage")] == [200, 403, 403, 200]


async def test_a_slow_answer_beyond_the_timeout_is_a_network_error_but_delivered(
    bot_api: LocalBotAPI, bot: Bot
) -> None:
    bot_api.fail(Fault.slow(5))
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(42, "дошло, но ответ опоздал", request_timeout=1)
    assert [m["text"] for m in bot_api.sent_messages(42)] == ["дошло, но ответ опоздал"]


async def test_a_slow_answer_within_the_timeout_succeeds(bot_api: LocalBotAPI, bot: Bot) -> None:
    bot_api.fail(Fault.slow(0.3))
    sent = await bot.send_message(42, "медленно")
    assert sent.text == "медленно"


@pytest.mark.parametrize("delivered", [False, True])
async def test_a_dropped_answer_is_a_network_error(
    bot_api: LocalBotAPI, bot: Bot, delivered: bool
) -> None:
    bot_api.fail(Fault.dropped(delivered=delivered))
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(42, "обрыв")

    assert len(bot_api.sent_messages(42)) == int(delivered)
    assert bot_api.calls_to("sendMessage")[0].status is None
    await bot.send_message(42, "после обрыва")  # the server keeps serving
