"""delivery payload and progress

Revision ID: 0003
Revises: 0002

`deliveries.payload`: what a digest row sends (JSON list of article ids), fixed when the
digest is enqueued so that a retry or a restart sends the same digest.
`deliveries.parts_sent`: messages of a multi-message item already confirmed by Telegram, so a
retry resumes after them instead of repeating them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_column("parts_sent")
        batch_op.drop_column("payload")
