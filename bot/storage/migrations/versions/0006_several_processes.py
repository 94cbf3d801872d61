"""several processes: push queue, workers and their claims, handled updates

Revision ID: 0006
Revises: 0005

`push_queue`: one row per stored article not yet scanned for instant pushes, written in the
transaction that stores the article, so a scanner sees an article exactly when it commits
(a "newest id seen" marker skipped articles that committed after a higher id).
`workers`: the delivery workers alive now, each with its heartbeat; `deliveries.claimed_by`
names the worker holding a row, and deleting a dead worker's row frees its claims at once.
`processed_updates`: Telegram update ids already handled by some bot instance.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_queue",
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
    )
    op.execute("DELETE FROM markers WHERE name = 'instant_push_last_article'")
    op.create_table(
        "workers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
        batch_op.create_foreign_key(
            "fk_deliveries_claimed_by_workers",
            "workers",
            ["claimed_by"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_deliveries_claimed_by", ["claimed_by"])
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_processed_updates_seen_at", "processed_updates", ["seen_at"])


def downgrade() -> None:
    op.drop_table("processed_updates")
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_index("ix_deliveries_claimed_by")
        batch_op.drop_constraint("fk_deliveries_claimed_by_workers", type_="foreignkey")
        batch_op.drop_column("claimed_by")
    op.drop_table("workers")
    op.drop_table("push_queue")
