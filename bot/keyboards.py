"""Inline keyboards. Buttons carry the CallbackData payloads of bot.callbacks."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import texts
from bot.callbacks import (
    AdsShow,
    DeliveryChoice,
    DigestTimeSet,
    InstantSet,
    LengthSet,
    MuteRemove,
    PreviewSet,
    ShowTopics,
    SourcesPage,
    SourceToggle,
    SubscriptionRemove,
    TopicToggle,
)
from bot.storage.chats import KEYWORD, SOURCE, Chat, Subscription
from bot.storage.mutes import WORD, Mute
from bot.storage.outlets import Outlet

DIGEST_PRESETS = ("07:00", "09:00", "18:00", "21:00")
DEFAULT_SENTENCES = 3  # summary sentences in pushes and /latest unless a chat chose otherwise


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
        label = MARKS.get(sub.kind, "{}").format(sub.label)
        builder.button(text=f"✖ {label}", callback_data=SubscriptionRemove(id=sub.id))
    builder.adjust(1)
    return builder.as_markup()


MARKS = {KEYWORD: texts.KEYWORD_MARK, SOURCE: texts.SOURCE_MARK}


def delivery_choice() -> InlineKeyboardMarkup:
    """The question asked at a chat's first subscription."""
    builder = InlineKeyboardBuilder()
    for mode, label in (
        ("instant", texts.BUTTON_DELIVERY_INSTANT),
        ("daily", texts.BUTTON_DELIVERY_DAILY),
        ("time", texts.BUTTON_DELIVERY_TIME),
    ):
        builder.button(text=label, callback_data=DeliveryChoice(mode=mode))
    builder.adjust(2, 1)
    return builder.as_markup()


def outlet_key(name: str) -> str:
    """A short, stable key of an outlet's name for its button (see SourceToggle)."""
    import hashlib

    return hashlib.blake2s(name.encode(), digest_size=6).hexdigest()


def sources(
    page: Sequence[Outlet], followed: Collection[str], *, offset: int, total: int, size: int
) -> InlineKeyboardMarkup:
    """One button per outlet of the page (✅ on those followed), and the page arrows."""
    builder = InlineKeyboardBuilder()
    for outlet in page:
        label = texts.SOURCE_BUTTON.format(outlet.name, outlet.recent)
        if outlet.name in followed:
            label = texts.TOPIC_ON.format(label)
        builder.button(
            text=label, callback_data=SourceToggle(offset=offset, key=outlet_key(outlet.name))
        )
    arrows = []
    if offset > 0:
        arrows.append((texts.PREVIOUS, max(offset - size, 0)))
    if offset + size < total:
        arrows.append((texts.NEXT, offset + size))
    for label, to in arrows:
        builder.button(text=label, callback_data=SourcesPage(offset=to))
    builder.adjust(*([1] * len(page)), len(arrows) or 1)
    return builder.as_markup()


def mutes(listed: Sequence[Mute], *, show_ads: bool) -> InlineKeyboardMarkup:
    """One "remove" button per mute, and the advertising switch."""
    builder = InlineKeyboardBuilder()
    for mute in listed:
        label = texts.MUTE_WORD_MARK.format(mute.label) if mute.kind == WORD else mute.label
        builder.button(text=f"✖ {label}", callback_data=MuteRemove(id=mute.id))
    ads = texts.BUTTON_ADS_HIDE if show_ads else texts.BUTTON_ADS_SHOW
    builder.button(text=ads, callback_data=AdsShow(on=not show_ads))
    builder.adjust(1)
    return builder.as_markup()


def preview_label(preview: bool | None) -> str:
    if preview is None:
        return texts.SETTINGS_PREVIEW_DEFAULT
    return texts.PREVIEW_ON if preview else texts.PREVIEW_OFF


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
    # A press moves on: as by default -> on everywhere -> off everywhere -> as by default.
    after = {None: "on", True: "off", False: "auto"}[chat.link_preview]
    builder.button(
        text=texts.BUTTON_PREVIEW.format(preview_label(chat.link_preview)),
        callback_data=PreviewSet(state=after),
    )
    length = chat.summary_sentences or DEFAULT_SENTENCES
    for sentences, name in texts.LENGTHS.items():
        label = texts.BUTTON_LENGTH.format(name) if sentences == 1 else name
        if sentences == length:
            label = texts.TOPIC_ON.format(label)
        builder.button(text=label, callback_data=LengthSet(sentences=sentences))
    builder.adjust(1, 2, 2, 1, 1, 1, 3)
    return builder.as_markup()
