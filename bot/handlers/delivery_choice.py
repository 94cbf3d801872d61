"""How a chat gets news, asked once at its first subscription (a command, a topic button, a
deep link): «Сразу», «Раз в день в 09:00», «Выбрать время». Until it answers, a daily digest at
09:00 in its timezone: a subscription never delivers nothing."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, MaybeInaccessibleMessageUnion
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import keyboards, render, texts
from bot.callbacks import DeliveryChoice
from bot.config import Settings
from bot.handlers.buttons import editable, pressed_on
from bot.handlers.common import Holds, remember_chat
from bot.handlers.feature import Feature
from bot.middlewares import CONFIGURE
from bot.storage import chats
from bot.storage.schema import utcnow

feature = Feature(__name__)
DEFAULT_DIGEST_TIME = "09:00"


async def ask_once(
    message: MaybeInaccessibleMessageUnion, conn: AsyncConnection, settings: Settings
) -> None:
    """After a subscription: a chat never asked gets the default daily digest and the
    question (a chat that chose instant pushes or a time already keeps its choice)."""
    chat = await chats.get_chat(conn, message.chat.id)
    if chat is None or chat.delivery_asked or chat.kind == "channel":
        return
    await chats.set_chat_options(conn, chat.id, delivery_asked=True)
    if chat.instant or chat.digest_time:
        return
    await chats.set_digest_time(conn, chat.id, DEFAULT_DIGEST_TIME)
    # The first digest is the next 09:00, not one at once with today's news so far.
    await chats.set_chat_options(conn, chat.id, last_digest_at=utcnow())
    zone = render.zone_label(chat.timezone or settings.timezone)
    await message.answer(texts.DELIVERY_ASK.format(zone), reply_markup=keyboards.delivery_choice())


@feature.callback_query(DeliveryChoice.filter(), Holds(F.message), flags=CONFIGURE)
async def chosen(
    query: CallbackQuery, callback_data: DeliveryChoice, conn: AsyncConnection, settings: Settings
) -> None:
    chat = await remember_chat(conn, pressed_on(query).chat)
    if callback_data.mode == "instant":
        await chats.set_instant(conn, chat.id, True)
        await chats.set_digest_time(conn, chat.id, None)
        answer = texts.DELIVERY_INSTANT
    elif callback_data.mode == "daily":
        await chats.set_digest_time(conn, chat.id, DEFAULT_DIGEST_TIME)
        answer = texts.DELIVERY_DAILY.format(render.zone_label(chat.timezone or settings.timezone))
    elif callback_data.mode == "time":
        answer = texts.DELIVERY_TIME
    else:
        await query.answer(texts.STALE_BUTTON)
        return
    if (message := editable(pressed_on(query))) is not None:
        await message.edit_text(answer)
    await query.answer()
