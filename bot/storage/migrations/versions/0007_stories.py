"""stories: articles of one event

Revision ID: 0007
Revises: 0006

Each article belongs to one story (articles.story_id); a story has its articles, first and
last publication time and a representative; story_keys index stories by the rarest words of
their titles and their names. Existing articles are assigned to stories by `svodka db upgrade`
(bot/ingest/stories.py), not here: that needs the NLP of the summarizer.
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("story_id", sa.Integer()))
    op.create_index("ix_articles_story", "articles", ["story_id", "id"])
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("representative_id", sa.Integer(), nullable=False),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stories"),
    )
    op.create_index("ix_stories_last_at", "stories", ["last_at"])
    op.create_table(
        "story_keys",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
    )
    op.create_index("ix_story_keys_key", "story_keys", ["key", "hour"])


def downgrade() -> None:
    op.drop_table("story_keys")
    op.drop_table("stories")
    op.drop_index("ix_articles_story", table_name="articles")
    # Not batch mode: rebuilding `articles` on SQLite would drop its full-text triggers.
    op.execute("ALTER TABLE articles DROP COLUMN story_id")
