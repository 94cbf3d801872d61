"""channel previews: the newest message read per channel, and turns at the t.me host

Revision ID: 0011
Revises: 0010

`sources.last_post_id` is the newest message id read from a public channel's web preview: a
poll pages back with `?before=` until it. `host_turns` holds, per politely polled host, when
its next request may start; pollers in every process take turns through it.
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("last_post_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "host_turns",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("free_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("host_turns")
    # Not batch mode: SQLite drops a column in place since 3.35.
    op.execute("ALTER TABLE sources DROP COLUMN last_post_id")
