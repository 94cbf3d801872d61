"""feed body hash

Revision ID: 0005
Revises: 0004

`sources.body_hash`: SHA-256 of the feed body read at the last poll. A feed that sends the same
body again (no ETag or Last-Modified, or ones that change anyway) is not parsed again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch_op:
        batch_op.add_column(sa.Column("body_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch_op:
        batch_op.drop_column("body_hash")
