from bot.storage.testing import database  # noqa: F401
