"""Channel preview pages written for tests, in the markup of 2025-26: text nested in media
containers, reactions, an expandable quote; replies, service messages and albums on demand."""

from __future__ import annotations

import html
import os
from pathlib import Path

# ../shared beside the repository, as for the other evaluation data; SVODKA_SHARED points
# elsewhere (a git worktree sits one level deeper).
SHARED = Path(os.environ.get("SVODKA_SHARED", Path(__file__).resolve().parents[3] / "shared"))
EVAL = SHARED / "eval" / "telegram"


def message(
    name: str,
    message_id: int,
    text: str | None,
    *,
    when: str = "2026-03-01T09:00:00+00:00",
    reply_to: str | None = None,
    service: bool = False,
    album: bool = False,
    forwarded: str | None = None,
    preview: str | None = None,
) -> str:
    classes = "tgme_widget_message js-widget_message" + (" service_message" if service else "")
    reply = (
        f'<a class="tgme_widget_message_reply" href="https://t.me/{name}/1">'
        f'<div class="tgme_widget_message_text js-message_reply_text">{html.escape(reply_to)}'
        "</div></a>"
        if reply_to
        else ""
    )
    media = (
        '<div class="tgme_widget_message_grouped_wrap"><a class="tgme_widget_message_photo_wrap"'
        f' href="https://t.me/{name}/{message_id}?single"></a><a class="tgme_widget_message_'
        f'photo_wrap" href="https://t.me/{name}/{message_id + 1}?single"></a></div>'
        if album
        else ""
    )
    origin = (
        '<div class="tgme_widget_message_forwarded_from">Forwarded from <a class="tgme_widget_'
        f'message_forwarded_from_name" href="https://t.me/x/1"><span>{forwarded}</span></a></div>'
        if forwarded
        else ""
    )
    link = (
        f'<a class="tgme_widget_message_link_preview" href="{preview}">'
        '<div class="link_preview_title">Заголовок</div></a>'
        if preview
        else ""
    )
    body = (
        '<div class="tgme_widget_message_text js-message_text" dir="auto">'
        + "<br/>".join(map(html.escape, text.split("\n")))
        + '<blockquote class="tgme_widget_message_blockquote expandable"></blockquote></div>'
        if text is not None
        else ""
    )
    return f"""
<div class="tgme_widget_message_wrap js-widget_message_wrap">
 <div class="{classes}" data-post="{name}/{message_id}">
  <div class="tgme_widget_message_bubble">{origin}{reply}
   <div class="media_supported_cont"><div class="tgme_widget_message_one_media">{media}
    {body}{link}</div></div>
   <div class="tgme_widget_message_reactions"><span class="tgme_reaction">👍 12</span></div>
   <div class="tgme_widget_message_footer"><a class="tgme_widget_message_date"
     href="https://t.me/{name}/{message_id}"><time datetime="{when}">09:00</time></a></div>
  </div>
 </div>
</div>"""


def page(name: str, title: str, messages: list[str], *, older: int | None = None) -> str:
    more = (
        f'<a href="/s/{name}?before={older}" class="tme_messages_more" data-before="{older}"></a>'
        if older
        else ""
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta property="og:title" content="{html.escape(title)}"></head><body>
<div class="tgme_channel_info"><div class="tgme_channel_info_header_title">
<span>{html.escape(title)}</span></div></div>
<section class="tgme_channel_history js-message_history">{more}{"".join(messages)}</section>
</body></html>"""


CLOSED = """<!DOCTYPE html><html><head><meta property="og:title" content="Закрытый"></head>
<body><div class="tgme_page"><a class="tgme_action_button_new">View in Telegram</a></div>
</body></html>"""
