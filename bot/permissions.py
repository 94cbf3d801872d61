"""Who may do what: the bot's administrators (SVODKA_ADMINS) and who configures a chat. Shared by
handlers and middlewares, so it imports neither."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import CallbackQuery, Chat, Message, User

from bot.config import Settings

ADMIN_STATUSES = {ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR}


async def is_admin(message: Message | CallbackQuery, settings: Settings) -> bool:
    return message.from_user is not None and message.from_user.id in settings.admins


async def is_chat_admin(bot: Bot, chat_id: int | str, user_id: int) -> bool:
    member = await bot.get_chat_member(chat_id, user_id)
    return member.status in ADMIN_STATUSES


async def may_configure(
    bot: Bot, chat: Chat, user: User | None, sender_chat: Chat | None = None
) -> bool:
    """Anyone configures their private chat; in a group only its administrators do, an
    anonymous one included (Telegram shows their messages as sent by the group itself)."""
    if chat.type == ChatType.PRIVATE:
        return True
    if sender_chat is not None and sender_chat.id == chat.id:
        return True
    return user is not None and await is_chat_admin(bot, chat.id, user.id)
