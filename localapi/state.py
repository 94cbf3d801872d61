"""What the local server knows: chats, users, messages, members, commands, and the Bot API
methods that read and change it. Every method takes the decoded parameters and the bot's own
User object and returns the `result` Telegram would return, or raises ApiError."""

import json
import re
from itertools import count
from typing import Any

from localapi.faults import ApiError
from localapi.files import MAX_PHOTO, MAX_UPLOAD, FileStore, upload
from localapi.markup import EntityParseError, parse_html
from localapi.objects import (
    JSON,
    chat_for_id,
    chat_member,
    full_chat_info,
    now,
    user,
    utf16_len,
)

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

# Bot API methods served from this state, by their camelCase names.
STATE_METHODS = (
    "getMe",
    "sendMessage",
    "sendDocument",
    "sendPhoto",
    "getFile",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "getChat",
    "getChatMember",
    "getChatAdministrators",
    "sendChatAction",
    "close",
    "logOut",
)

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def snake_case(api_method: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", api_method).lower()


class TelegramState:
    def __init__(self, *, known_chats_only: bool = False) -> None:
        self.known_chats_only = known_chats_only
        self.chats: dict[int, JSON] = {}
        self.users: dict[int, JSON] = {}
        self.messages: dict[tuple[int, int], JSON] = {}
        self.members: dict[tuple[int, int], JSON] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.open_callbacks: set[str] = set()
        self.files = FileStore()
        self._last_message_id: dict[int, int] = {}
        self._callback_ids = count(1)

    # --- registration, used by tests and by update injection -------------------------------

    def add_chat(self, chat: JSON) -> JSON:
        self.chats[chat["id"]] = chat
        return chat

    def add_user(self, person: JSON) -> JSON:
        self.users[person["id"]] = person
        return person

    def set_member(self, chat_id: int, user_id: int, status: str, **rights: bool) -> JSON:
        member = chat_member(self._user(user_id), status, **rights)
        self.members[chat_id, user_id] = member
        return member

    def resolve_chat(self, chat_id: int | str) -> JSON:
        if isinstance(chat_id, str):
            for chat in self.chats.values():  # usernames are case-insensitive on Telegram
                if "@" + chat.get("username", "").lower() == chat_id.lower():
                    return chat
            raise ApiError.bad_request("chat not found")
        if chat_id not in self.chats:
            if self.known_chats_only or chat_id == 0:
                raise ApiError.bad_request("chat not found")
            self.add_chat(chat_for_id(chat_id))
        return self.chats[chat_id]

    def new_message(self, chat: JSON, sender: JSON | None, text: str | None, **fields: Any) -> JSON:
        """Store a message in `chat` with the chat's next id; channel posts have no sender;
        a message without `text` carries media (a document, a photo) instead."""
        message_id = self._last_message_id.get(chat["id"], 0) + 1
        self._last_message_id[chat["id"]] = message_id
        message: JSON = {"message_id": message_id, "date": now(), "chat": chat}
        if chat["type"] == "channel":
            message["sender_chat"] = chat
        elif sender is not None:
            message["from"] = sender
        if text is not None:
            message["text"] = text
        message.update({key: value for key, value in fields.items() if value})
        self.messages[chat["id"], message_id] = message
        return message

    def open_callback(self) -> str:
        query_id = str(next(self._callback_ids))
        self.open_callbacks.add(query_id)
        return query_id

    def _user(self, user_id: int) -> JSON:
        return self.users.get(user_id) or user(user_id, f"User {user_id}", language_code=None)

    # --- Bot API methods --------------------------------------------------------------------

    def get_me(self, params: JSON, bot: JSON) -> JSON:
        return {
            **bot,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def send_message(self, params: JSON, bot: JSON) -> JSON:
        chat = self.resolve_chat(params.get("chat_id", 0))
        text, entities = message_text(params)
        reply_to = self._reply_to(chat, params)
        markup = inline_markup(params)
        return self.new_message(
            chat, bot, text, entities=entities, reply_markup=markup, reply_to_message=reply_to
        )

    def send_document(self, params: JSON, bot: JSON) -> JSON:
        chat = self.resolve_chat(params.get("chat_id", 0))
        file = upload(params, "document", MAX_UPLOAD)
        document = self.files.document(file.data, file.filename, file.content_type)
        return self._media_message(chat, bot, params, document=document)

    def send_photo(self, params: JSON, bot: JSON) -> JSON:
        chat = self.resolve_chat(params.get("chat_id", 0))
        photo = self.files.photo(upload(params, "photo", MAX_PHOTO).data)
        return self._media_message(chat, bot, params, photo=photo)

    def get_file(self, params: JSON, bot: JSON) -> JSON:
        return self.files.get_file(str(params.get("file_id") or ""))

    def _media_message(self, chat: JSON, bot: JSON, params: JSON, **media: Any) -> JSON:
        caption, entities = caption_text(params)
        return self.new_message(
            chat, bot, None, caption=caption, caption_entities=entities,
            reply_markup=inline_markup(params), **media,
        )  # fmt: skip

    def edit_message_text(self, params: JSON, bot: JSON) -> JSON:
        old = self._message(params, "message to edit not found")
        text, entities = message_text(params)
        # Telegram removes the inline keyboard when an edit does not repeat it.
        return self._edit(old, text=text, entities=entities, reply_markup=inline_markup(params))

    def edit_message_reply_markup(self, params: JSON, bot: JSON) -> JSON:
        old = self._message(params, "message to edit not found")
        return self._edit(old, reply_markup=inline_markup(params))

    def delete_message(self, params: JSON, bot: JSON) -> bool:
        key = (self.resolve_chat(params.get("chat_id", 0))["id"], params.get("message_id", 0))
        if self.messages.pop(key, None) is None:
            raise ApiError.bad_request("message to delete not found")
        return True

    def answer_callback_query(self, params: JSON, bot: JSON) -> bool:
        query_id = params.get("callback_query_id")
        if query_id not in self.open_callbacks:
            raise ApiError.bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.open_callbacks.discard(query_id)
        return True

    def set_my_commands(self, params: JSON, bot: JSON) -> bool:
        self.commands[_commands_key(params)] = params.get("commands") or []
        return True

    def get_my_commands(self, params: JSON, bot: JSON) -> list[JSON]:
        return self.commands.get(_commands_key(params), [])

    def delete_my_commands(self, params: JSON, bot: JSON) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    def get_chat(self, params: JSON, bot: JSON) -> JSON:
        return full_chat_info(self.resolve_chat(params.get("chat_id", 0)))

    def get_chat_member(self, params: JSON, bot: JSON) -> JSON:
        chat = self.resolve_chat(params.get("chat_id", 0))
        user_id = params.get("user_id", 0)
        if user_id == bot["id"]:
            default = chat_member(bot, "member")
        else:
            default = chat_member(self._user(user_id), "member")
        return self.members.get((chat["id"], user_id), default)

    def get_chat_administrators(self, params: JSON, bot: JSON) -> list[JSON]:
        chat_id = self.resolve_chat(params.get("chat_id", 0))["id"]
        return [
            member
            for (member_chat, _), member in self.members.items()
            if member_chat == chat_id and member["status"] in ("creator", "administrator")
        ]

    def send_chat_action(self, params: JSON, bot: JSON) -> bool:
        self.resolve_chat(params.get("chat_id", 0))
        return True

    def close(self, params: JSON, bot: JSON) -> bool:
        return True

    def log_out(self, params: JSON, bot: JSON) -> bool:
        return True

    # --- helpers ---------------------------------------------------------------------------

    def _message(self, params: JSON, missing: str) -> JSON:
        chat = self.resolve_chat(params.get("chat_id", 0))
        message = self.messages.get((chat["id"], params.get("message_id", 0)))
        if message is None:
            raise ApiError.bad_request(missing)
        return message

    def _edit(self, old: JSON, **changes: Any) -> JSON:
        new = {key: value for key, value in old.items() if key not in changes}
        new.update({key: value for key, value in changes.items() if value})
        if _content(new) == _content(old):
            raise ApiError.bad_request(NOT_MODIFIED)
        new["edit_date"] = now()
        self.messages[new["chat"]["id"], new["message_id"]] = new
        return new

    def _reply_to(self, chat: JSON, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id") or params.get("reply_to_message_id")
        if not message_id:
            return None
        message = self.messages.get((chat["id"], int(message_id)))
        if message is None and not reply.get("allow_sending_without_reply"):
            raise ApiError.bad_request("message to be replied not found")
        if message is not None:
            message = {key: value for key, value in message.items() if key != "reply_to_message"}
        return message


def message_text(params: JSON) -> tuple[str, list[JSON]]:
    """Text and entities as Telegram stores them after parsing `parse_mode`."""
    text = str(params.get("text") or "")
    entities = params.get("entities") or []
    if str(params.get("parse_mode") or "").upper() == "HTML":
        try:
            text, entities = parse_html(text)
        except EntityParseError as error:
            raise ApiError.bad_request(str(error)) from None
    if not text.strip():
        raise ApiError.bad_request("message text is empty")
    if utf16_len(text) > MAX_MESSAGE_LENGTH:
        raise ApiError.bad_request("message is too long")
    for entity in entities:
        if entity.get("type") == "text_link":
            check_link(str(entity.get("url") or ""))
    return text, entities


LINK_SCHEMES = ("http", "https", "tg")


def check_link(url: str) -> None:
    """Refuse a link as Telegram refuses the whole message that carries it."""
    scheme, colon, rest = url.partition(":")
    if not colon:
        scheme, rest = "http", url
    if scheme.lower() not in LINK_SCHEMES:
        raise ApiError.bad_request("Unsupported URL protocol")
    if not rest.removeprefix("//").split("/")[0]:
        raise ApiError.bad_request("Wrong HTTP URL")


def caption_text(params: JSON) -> tuple[str, list[JSON]]:
    """A media message's caption and its entities; it may be empty."""
    caption = str(params.get("caption") or "")
    entities = params.get("caption_entities") or []
    if caption and str(params.get("parse_mode") or "").upper() == "HTML":
        try:
            caption, entities = parse_html(caption)
        except EntityParseError as error:
            raise ApiError.bad_request(str(error)) from None
    if utf16_len(caption) > MAX_CAPTION_LENGTH:
        raise ApiError.bad_request("message caption is too long")
    return caption, entities


def inline_markup(params: JSON) -> JSON | None:
    """Messages keep only inline keyboards; reply keyboards are not part of a Message."""
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _content(message: JSON) -> tuple[Any, ...]:
    return message.get("text"), message.get("entities"), message.get("reply_markup")


def _commands_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")
