"""story profiles stored: a story's representative is compared without being rebuilt

Revision ID: 0009
Revises: 0008

`stories.profile`: the representative's `summarizer.stories.Profile`, encoded once when the
story starts, so that assigning a new article reads a few kilobytes instead of rebuilding the
representative's profile from its lemmas (NULL for stories from before: those are rebuilt).
`story_keys` is indexed on (key, hour, story_id), so the candidate lookup reads the index only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stories", sa.Column("profile", sa.LargeBinary(), nullable=True))
    op.drop_index("ix_story_keys_key", table_name="story_keys")
    op.create_index("ix_story_keys_key", "story_keys", ["key", "hour", "story_id"])


def downgrade() -> None:
    op.drop_index("ix_story_keys_key", table_name="story_keys")
    op.create_index("ix_story_keys_key", "story_keys", ["key", "hour"])
    # Not batch mode: SQLite drops a column in place since 3.35.
    op.execute("ALTER TABLE stories DROP COLUMN profile")
