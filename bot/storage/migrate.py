"""Schema migrations with Alembic, applied by `svodka db upgrade` and at start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from bot.storage.database import Database

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x4D696772  # advisory lock key: "Migr" in ASCII


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the database schema up to `revision` (the newest by default). Processes starting
    together on one PostgreSQL database take turns (an advisory lock for the transaction), so
    the first migrates and the others find the schema current."""

    def run(sync_connection) -> None:
        command.upgrade(alembic_config(sync_connection), revision)

    async with db.transaction() as conn:
        if not db.is_sqlite:
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
                {"key": MIGRATION_LOCK},
            )
        await conn.run_sync(run)
