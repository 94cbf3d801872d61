"""Telegram channel posts into documents, however they were read: from a public channel's web
preview (bot/ingest/channel_page.py) or from the `channel_post` updates of a channel the bot
administers. Everything after `post_document` is the pipeline every article goes through.

A short post (fewer than SUMMARY_SENTENCES sentences, as most are) needs no flag: the
summarizer chooses min(asked, available) sentences, so such a post is its own summary. A post
that is only a teaser of a linked article (fewer than TEASER_WORDS words and a link) is
completed from the linked page by `feeds.new_documents`, as a feed's teaser is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.ingest.document import Document, plain_text
from bot.ingest.feeds import TEASER_WORDS, Entry
from bot.untrusted import web_link

TITLE_CHARS = 120
"""A post has no title: its first line or sentence, cut at a word boundary near this."""


@dataclass(frozen=True, slots=True)
class Post:
    """One channel message, however it was read (web preview or a channel_post update)."""

    url: str  # permalink (channel_refs.permalink / private_permalink)
    channel: str  # the channel's title as readers know it
    username: str | None  # without @; None for a private channel
    published: datetime | None  # aware
    text: str  # the message's own text or caption; lines joined by "\n"
    forwarded_from: str | None = None  # the original channel's title when forwarded
    link: str | None = None  # the URL of the message's link preview, if any


def post_document(post: Post) -> Document | None:
    """The Document a post becomes: channel boilerplate cleaned, title from the first line or
    sentence cut at a word boundary (~120 chars), source name the channel (or the forwarded
    origin), URL the permalink; None when no text is left."""
    from summarizer.cleaning import clean_post

    text = clean_post(post.text, post.username)
    if not text:
        return None
    return Document(
        text=text,
        title=post_title(text),
        url=post.url,
        published=post.published,
        source_name=plain_text(post.forwarded_from or post.channel) or None,
    )


def post_entry(post: Post) -> Entry | None:
    """The post as a feed entry: a teaser when it is short and links an article, whose page
    `feeds.new_documents` then fetches for the full text (the URL stays the permalink)."""
    document = post_document(post)
    if document is None:
        return None
    link = web_link(post.link)
    teaser = link is not None and len(document.text.split()) < TEASER_WORDS
    return Entry(document, teaser=teaser, link=link if teaser else None)


def post_title(text: str) -> str:
    """The first line, or its first sentence if it has several, at most about TITLE_CHARS
    characters, cut after a whole word; without a final period, as headlines are written (so
    the cleaner takes it for the title, not for a sentence of the text)."""
    from summarizer.text import iter_sentences

    first_line = text.strip().partition("\n")[0][: TITLE_CHARS * 4]
    title = next(iter_sentences(first_line), first_line).strip()
    if not title.endswith(".."):
        title = title.removesuffix(".")
    if len(title) <= TITLE_CHARS:
        return title
    cut = title[: TITLE_CHARS + 1].rsplit(maxsplit=1)[0] if " " in title[:TITLE_CHARS] else ""
    return (cut or title[:TITLE_CHARS]).rstrip(",;:—–- ") + "…"
