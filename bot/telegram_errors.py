"""What Telegram's error answers mean, read from their descriptions: shared by the sender and the
handlers that answer people."""

from __future__ import annotations

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError

# Telegram cannot read the message as sent: its entities, or a link in them (an article's
# link it cannot open makes it refuse the whole message). Sent again as plain text, it goes.
PARSE_ERRORS = (
    "can't parse entities",
    "can't find end of the entity",
    "unsupported start tag",
    "unsupported url protocol",
    "wrong http url",
)
CHAT_GONE = ("chat not found", "user not found", "peer_id_invalid", "chat_id is empty")


def is_parse_error(error: TelegramAPIError) -> bool:
    return isinstance(error, TelegramBadRequest) and _says(error, PARSE_ERRORS)


def is_chat_gone(error: TelegramAPIError) -> bool:
    return isinstance(error, TelegramForbiddenError) or (
        isinstance(error, TelegramBadRequest) and _says(error, CHAT_GONE)
    )


def _says(error: TelegramAPIError, phrases: tuple[str, ...]) -> bool:
    message = error.message.lower()
    return any(phrase in message for phrase in phrases)
