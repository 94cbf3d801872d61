"""Schema migrations with Alembic, applied by `svodka db upgrade` and at start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from bot.storage.database import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the database schema up to `revision` (the newest by default)."""

    def run(sync_connection) -> None:
        command.upgrade(alembic_config(sync_connection), revision)

    async with db.transaction() as conn:
        await conn.run_sync(run)
