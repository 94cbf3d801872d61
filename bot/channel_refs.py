"""How people name a Telegram channel, read into one form.

`@name`, `name`, `t.me/name`, `https://t.me/s/name?before=…` and `telegram.me/name` all name
the public channel `name`; `-100…` names a channel by its chat id (a private one the bot
administers). A channel source is stored under its web-preview URL, `https://t.me/s/<name>`,
whatever base URL the preview is read from (SVODKA_TELEGRAM_WEB), so one channel is one source.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

PUBLIC_WEB = "https://t.me"
TELEGRAM_HOSTS = frozenset({"t.me", "www.t.me", "telegram.me", "www.telegram.me"})
# Telegram's rule for public usernames: 5-32 of a-z, 0-9 and _, starting with a letter.
USERNAME = re.compile(r"[a-z][a-z0-9_]{4,31}")
CHAT_ID = re.compile(r"-100[0-9]{5,16}")


class NotAChannel(ValueError):
    """The text names no channel; the message says why, in Russian, in one line."""


def is_channel_ref(text: str) -> bool:
    """Whether `text` is written as a channel (not whether it is a valid one): an @name, a
    t.me link or a -100… chat id, as opposed to a feed URL."""
    text = text.strip()
    if text.startswith("@") or CHAT_ID.fullmatch(text):
        return True
    return _host(text) in TELEGRAM_HOSTS


def channel_name(text: str) -> str:
    """The channel's username, lower-cased, from `@name` or a t.me link; NotAChannel if the
    text is no public channel's name."""
    text = text.strip()
    if text.startswith("@"):
        name = text[1:]
    elif _host(text) in TELEGRAM_HOSTS:
        name = _name_in_path(urlsplit(_with_scheme(text)).path)
    else:
        name = text
    name = name.lower()
    if not USERNAME.fullmatch(name):
        raise NotAChannel(
            f"«{text[:64]}» — не имя канала: 5–32 латинские буквы, цифры или _, первая — буква."
        )
    return name


def preview_url(name: str) -> str:
    """The stored URL of a public channel source: its web preview on t.me."""
    return f"{PUBLIC_WEB}/s/{name}"


def source_url(text: str) -> str:
    """The stored URL of the source `text` names: a public channel's preview URL for its @name
    or t.me link, anything else (a feed URL, an id, a -100… chat id) as it is."""
    text = text.strip()
    if is_channel_ref(text) and not CHAT_ID.fullmatch(text):
        return preview_url(channel_name(text))
    return text


def permalink(name: str, message_id: int) -> str:
    """A public channel post's URL, its identity for dedup."""
    return f"{PUBLIC_WEB}/{name}/{message_id}"


def private_permalink(chat_id: int, message_id: int) -> str:
    """A private channel post's URL (`t.me/c/<id>/<msg>`, which opens for its members)."""
    return f"{PUBLIC_WEB}/c/{str(chat_id).removeprefix('-100')}/{message_id}"


def private_url(chat_id: int) -> str:
    """The stored URL of a private channel the bot administers (`t.me/c/<id>`)."""
    return f"{PUBLIC_WEB}/c/{str(chat_id).removeprefix('-100')}"


def _name_in_path(path: str) -> str:
    parts = [part for part in path.split("/") if part]
    if parts and parts[0] == "s":
        parts = parts[1:]
    return parts[0] if parts else ""


def _host(text: str) -> str:
    try:
        return (urlsplit(_with_scheme(text)).hostname or "").lower()
    except ValueError:
        return ""


def _with_scheme(text: str) -> str:
    return text if "://" in text else f"https://{text}"
