"""The archive: one schema on SQLite (default) or PostgreSQL; the caller owns transactions."""

from bot.storage.database import Database
from bot.storage.migrate import upgrade

__all__ = ["Database", "upgrade"]
