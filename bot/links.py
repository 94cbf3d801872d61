"""Links Telegram can open: a `javascript:`, `data:` or `tg:` link in an article makes Telegram
refuse the whole message, so only http(s) links with a host are kept or shown."""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")


def web_link(url: str | None) -> str | None:
    """`url` if it is an http(s) URL with a host, else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        has_host = bool(parts.hostname)
    except ValueError:  # an invalid IPv6 host or port
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not has_host:
        return None
    if any(char.isspace() or ord(char) < 0x20 for char in url):
        return None
    return url
