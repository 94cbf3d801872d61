"""Inline button payloads: every CallbackData class of the bot, each with its own prefix.

Telegram returns callback data verbatim, so a client can forge it: handlers re-check everything
(topic slugs, subscription ownership) and a payload that does not unpack falls through to the
"stale button" answer. So does a number out of range: a row id no table can hold
(`lm:@:99999999999999999999:5` would reach the database and fail there).
"""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]  # ids are 32-bit integers on PostgreSQL
PageSize = Annotated[int, Field(ge=1, le=100)]
Offset = Annotated[int, Field(ge=0, le=10_000)]


class TopicToggle(CallbackData, prefix="tp"):
    """Subscribe to a topic or drop it, from the /topics keyboard."""

    slug: str


class SubscriptionRemove(CallbackData, prefix="us"):
    """Remove one subscription (by its row id, checked against the chat), from /mysubs."""

    id: RowId


class LatestMore(CallbackData, prefix="lm"):
    """The next page of /latest: articles older than `before`. `scope` as in bot.handlers.latest."""

    scope: str
    before: RowId
    count: PageSize


class SearchMore(CallbackData, prefix="sm"):
    """The next page of /search results."""

    offset: Offset
    query: str


class FeedsMore(CallbackData, prefix="fm"):
    """The next page of /feeds, from the feed at `offset`."""

    offset: Offset


class InstantSet(CallbackData, prefix="in"):
    """Switch instant pushes on or off, from /settings."""

    on: bool


class DigestTimeSet(CallbackData, prefix="dt"):
    """Daily digest time as HHMM (":" is the separator of callback data), or "off"."""

    time: str


class ShowTopics(CallbackData, prefix="st"):
    """Open the topics keyboard from /settings."""


class DeliveryChoice(CallbackData, prefix="dc"):
    """How a chat gets news, asked at its first subscription: "instant", "daily" or "time"."""

    mode: str


class SourcesPage(CallbackData, prefix="sp"):
    """A page of /sources."""

    offset: Offset


class SourceToggle(CallbackData, prefix="sf"):
    """Follow an outlet or stop, from /sources: the outlet by a digest of its name (names may
    not fit in 64 bytes), found again among the outlets of its page."""

    offset: Offset
    key: str


class MuteRemove(CallbackData, prefix="mr"):
    """Remove one mute (by its row id, checked against the chat), from /mutes."""

    id: RowId


class AdsShow(CallbackData, prefix="ad"):
    """Show advertising or hide it again, from /mutes."""

    on: bool


class PreviewSet(CallbackData, prefix="pv"):
    """Link previews from /settings: "on", "off" or "auto" (on in pushes, off in digests)."""

    state: str


class LengthSet(CallbackData, prefix="ln"):
    """Summary sentences in pushes and /latest (1, 3 or 5), from /settings."""

    sentences: Annotated[int, Field(ge=1, le=5)]
