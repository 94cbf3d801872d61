"""The bot's routers, one per feature, in the order the dispatcher tries them."""

from __future__ import annotations

from aiogram import Router


def routers() -> list[Router]:
    """New routers of every feature (each Dispatcher gets its own: bot.handlers.feature)."""
    from bot.handlers import (
        admin,
        admin_channels,
        channels,
        delivery_choice,
        digest,
        fallback,
        latest,
        mutes,
        opml,
        search,
        settings,
        sources,
        start,
        subscriptions,
        top,
        topics,
    )

    # opml before admin: `/feeds export` is not the feed list;
    # admin_channels before admin: `/feed add @name` asks Telegram first, then falls through;
    # admin before the rest: an admin's link in private is an article to add, not plain text;
    # fallback last: it takes whatever nobody else did.
    features = [
        start.feature,
        opml.feature,
        admin_channels.feature,
        admin.feature,
        topics.feature,
        subscriptions.feature,
        sources.feature,
        mutes.feature,
        delivery_choice.feature,
        latest.feature,
        top.feature,
        search.feature,
        digest.feature,
        settings.feature,
        channels.feature,
        fallback.feature,
    ]
    return [feature.router() for feature in features]
