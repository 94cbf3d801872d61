"""Telegram Bot API objects as the plain JSON dicts the real server sends.

Tests and the demo build users, chats and entities with these; the server builds messages,
updates and chat members with them, so every object has the fields aiogram requires.
"""

import re
import time
from typing import Any

JSON = dict[str, Any]

BOT_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


def now() -> int:
    return int(time.time())


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def user(
    user_id: int,
    first_name: str,
    *,
    username: str | None = None,
    last_name: str | None = None,
    language_code: str | None = "ru",
    is_bot: bool = False,
) -> JSON:
    optional = {"last_name": last_name, "username": username, "language_code": language_code}
    return {
        "id": user_id,
        "is_bot": is_bot,
        "first_name": first_name,
        **{key: value for key, value in optional.items() if value is not None},
    }


DEFAULT_USER = user(1001, "Анна", username="anna")
DEFAULT_TOKEN = "123456:TEST"
BOT_ID = 123456  # the id in DEFAULT_TOKEN: Telegram's bot id is the token's first part


def private_chat(of: JSON) -> JSON:
    fields = ("first_name", "last_name", "username")
    return {"id": of["id"], "type": "private", **{f: of[f] for f in fields if f in of}}


def group_chat(chat_id: int, title: str) -> JSON:
    return {"id": chat_id, "type": "group", "title": title}


def supergroup_chat(chat_id: int, title: str, *, username: str | None = None) -> JSON:
    return _titled(chat_id, "supergroup", title, username)


def channel_chat(chat_id: int, title: str, *, username: str | None = None) -> JSON:
    return _titled(chat_id, "channel", title, username)


def _titled(chat_id: int, chat_type: str, title: str, username: str | None) -> JSON:
    chat = {"id": chat_id, "type": chat_type, "title": title}
    if username:
        chat["username"] = username
    return chat


def chat_for_id(chat_id: int) -> JSON:
    """A plausible chat for an id nobody registered: Telegram's id ranges tell the type."""
    if chat_id > 0:
        return private_chat(user(chat_id, f"User {chat_id}", language_code=None))
    if str(chat_id).startswith("-100"):
        return supergroup_chat(chat_id, f"Supergroup {chat_id}")
    return group_chat(chat_id, f"Group {chat_id}")


WEB_LINK = re.compile(r"https?://[^\s<>\"]+")


def url_entities(text: str | None) -> list[JSON]:
    """url entities, as Telegram adds them to the web links of incoming text."""
    text = text or ""
    return [
        {
            "type": "url",
            "offset": utf16_len(text[: found.start()]),
            "length": utf16_len(found.group()),
        }
        for found in WEB_LINK.finditer(text)
    ]


def command_entities(text: str) -> list[JSON]:
    """bot_command entities, as Telegram adds them to incoming text ("/start topic_x")."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in BOT_COMMAND.finditer(text)
    ]


def forward_origin(*, from_user: JSON | None = None, from_chat: JSON | None = None) -> JSON:
    """MessageOrigin of a forwarded message: a user's message or a channel post."""
    if from_chat is not None:
        return {"type": "channel", "date": now(), "chat": from_chat, "message_id": 1}
    if from_user is not None:
        return {"type": "user", "date": now(), "sender_user": from_user}
    raise ValueError("a forwarded message needs from_user or from_chat")


def chat_member(member: JSON, status: str, **rights: bool) -> JSON:
    """ChatMember of any status with every field aiogram requires for it."""
    if status == "creator":
        return {"status": status, "user": member, "is_anonymous": False}
    if status == "administrator":
        return {"status": status, "user": member, **ADMIN_DEFAULT_RIGHTS, **rights}
    if status == "kicked":
        return {"status": status, "user": member, "until_date": 0}
    if status in ("member", "left"):
        return {"status": status, "user": member}
    raise ValueError(f"unknown chat member status: {status}")


ADMIN_DEFAULT_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": False,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
    "can_post_messages": True,
    "can_edit_messages": True,
}


def full_chat_info(chat: JSON) -> JSON:
    """ChatFullInfo (getChat) for a chat: the chat plus the fields aiogram requires."""
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
