"""Inline keyboards. Buttons carry the CallbackData payloads of bot.callbacks."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import texts
from bot.callbacks import (
    DigestTimeSet,
    InstantSet,
    ShowTopics,
    SubscriptionRemove,
    TopicToggle,
)
from bot.storage.chats import KEYWORD, Chat, Subscription

DIGEST_PRESETS = ("07:00", "09:00", "18:00", "21:00")


def topics(subscribed: Collection[str]) -> InlineKeyboardMarkup:
    """Every topic, two a row, ✅ on those the chat is subscribed to."""
    from summarizer.topics import TOPICS

    builder = InlineKeyboardBuilder()
    for topic in TOPICS:
        label = texts.TOPIC_ON.format(topic.name) if topic.slug in subscribed else topic.name
        builder.button(text=label, callback_data=TopicToggle(slug=topic.slug))
    builder.adjust(2)
    return builder.as_markup()


def subscriptions(subs: Sequence[Subscription]) -> InlineKeyboardMarkup:
    """One "remove" button per subscription."""
    builder = InlineKeyboardBuilder()
    for sub in subs:
        label = texts.KEYWORD_MARK.format(sub.label) if sub.kind == KEYWORD else sub.label
        builder.button(text=f"✖ {label}", callback_data=SubscriptionRemove(id=sub.id))
    builder.adjust(1)
    return builder.as_markup()


def more(payload: CallbackData | None) -> InlineKeyboardMarkup | None:
    """A single "Ещё" button; None when there is no next page or its payload does not fit."""
    if payload is None:
        return None
    try:
        packed = payload.pack()
    except ValueError:  # over Telegram's 64 bytes, or the separator in a user's words
        return None
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.MORE, callback_data=packed)
    return builder.as_markup()


def settings(chat: Chat) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    instant_label = texts.BUTTON_INSTANT_OFF if chat.instant else texts.BUTTON_INSTANT_ON
    builder.button(text=instant_label, callback_data=InstantSet(on=not chat.instant))
    for preset in DIGEST_PRESETS:
        label = texts.BUTTON_SCHEDULE.format(preset)
        if preset == chat.digest_time:
            label = texts.TOPIC_ON.format(label)
        builder.button(text=label, callback_data=DigestTimeSet(time=preset.replace(":", "")))
    builder.button(text=texts.BUTTON_SCHEDULE_OFF, callback_data=DigestTimeSet(time="off"))
    builder.button(text=texts.BUTTON_TOPICS, callback_data=ShowTopics())
    builder.adjust(1, 2, 2, 1, 1)
    return builder.as_markup()
