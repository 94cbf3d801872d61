"""channel sources: a channel the bot administers is known by its chat id

Revision ID: 0010
Revises: 0009

Telegram channels are sources beside feeds (`sources.kind`: `channel` for a public channel read
from its web preview, `admin_channel` for one whose posts arrive as `channel_post` updates).
`sources.chat_id` is the administered channel's chat id, which its updates carry (a private
channel has no username to match them by); NULL for every other source.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("chat_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_sources_chat_id", "sources", ["chat_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_sources_chat_id", table_name="sources")
    # Not batch mode: SQLite drops a column in place since 3.35.
    op.execute("ALTER TABLE sources DROP COLUMN chat_id")
