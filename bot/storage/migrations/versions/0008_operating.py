"""operating it: feed health, when deliveries ended

Revision ID: 0008
Revises: 0007

`sources`: `site_url` (the feed's own link, OPML's htmlUrl), `last_success_at`,
`last_error_at` and `failing_since` (the first failure of the current run of failures), so an
operator sees when a feed last worked and how long it has been failing; `last_error` is kept
after a success. `article_sources (source_id, seen_at)`: articles a feed brought lately.
`deliveries.finished_at`: when a row was sent, failed or dropped (/stats's chart by hour).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch_op:
        batch_op.add_column(sa.Column("site_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("last_success_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_error_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE sources SET last_success_at = last_polled_at"
        " WHERE failures = 0 AND last_polled_at IS NOT NULL"
    )
    op.execute(
        "UPDATE sources SET last_error_at = last_polled_at, failing_since = last_polled_at"
        " WHERE failures > 0"
    )
    op.create_index("ix_article_sources_source_seen", "article_sources", ["source_id", "seen_at"])
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_deliveries_finished_at", ["finished_at"])
    op.execute("UPDATE deliveries SET finished_at = sent_at WHERE sent_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_index("ix_deliveries_finished_at")
        batch_op.drop_column("finished_at")
    op.drop_index("ix_article_sources_source_seen", table_name="article_sources")
    with op.batch_alter_table("sources") as batch_op:
        for column in ("failing_since", "last_error_at", "last_success_at", "site_url"):
            batch_op.drop_column(column)
