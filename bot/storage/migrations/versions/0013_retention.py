"""retention: story keys found by their story, so pruning old stories reads no whole table

Revision ID: 0013
Revises: 0012

SVODKA_KEEP_ARTICLES_DAYS prunes whole stories (bot/storage/retention.py) and their rows in
`story_keys`, whose only index leads with the key; `ix_story_keys_story` finds a story's keys.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_story_keys_story", "story_keys", ["story_id"])


def downgrade() -> None:
    op.drop_index("ix_story_keys_story", table_name="story_keys")
