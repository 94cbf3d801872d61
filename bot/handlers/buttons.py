"""The message under a pressed inline button, as the handlers' filters promise it."""

from __future__ import annotations

from aiogram.types import CallbackQuery, MaybeInaccessibleMessageUnion, Message


def pressed_on(query: CallbackQuery) -> MaybeInaccessibleMessageUnion:
    """The message whose button was pressed. Button handlers filter on Holds(F.message): only
    a message sent in inline mode comes without one, and this bot sends none."""
    assert query.message is not None
    return query.message


def editable(message: MaybeInaccessibleMessageUnion) -> Message | None:
    """The message if the bot can still edit it: one deleted (or otherwise out of the bot's
    reach) comes as an InaccessibleMessage, which has nothing to edit."""
    return message if isinstance(message, Message) else None
