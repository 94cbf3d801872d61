"""The bot's routers, one per feature, in the order the dispatcher tries them."""

from __future__ import annotations

from aiogram import Router


def routers() -> list[Router]:
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
    return [
        start.router,
        opml.router,
        admin_channels.router,
        admin.router,
        topics.router,
        subscriptions.router,
        sources.router,
        mutes.router,
        delivery_choice.router,
        latest.router,
        top.router,
        search.router,
        digest.router,
        settings.router,
        channels.router,
        fallback.router,
    ]
