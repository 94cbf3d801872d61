"""index on article_sources.url

Revision ID: 0004
Revises: 0003

Dedup looks every incoming URL up among the places articles were seen; without this index
each lookup read the whole table, so ingest slowed down as the archive grew.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_article_sources_url", "article_sources", ["url"])


def downgrade() -> None:
    op.drop_index("ix_article_sources_url", table_name="article_sources")
