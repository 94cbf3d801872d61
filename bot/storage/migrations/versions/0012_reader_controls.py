"""what readers control: sources as subscriptions, mutes, previews and length

Revision ID: 0012
Revises: 0011

`subscriptions.kind` may be `source` (value: the outlet's name, `article_sources.name`),
found through the new index `article_sources (name, article_id, seen_at)`. `mutes`: words
and outlets a chat hides. `articles.advert`: a channel post marked as advertising (hidden
unless the chat shows ads, `chats.show_ads`). `chats.delivery_asked`: asked how to deliver
at the first subscription (true for every chat from before: they keep what they chose);
`chats.link_preview` and `chats.summary_sentences`: NULL for the defaults.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CHAT_COLUMNS = ("show_ads", "summary_sentences", "link_preview", "delivery_asked")


def upgrade() -> None:
    # Not batch mode: a batch rebuild of `articles` would drop its full-text triggers (0002).
    op.add_column(
        "chats",
        sa.Column("delivery_asked", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column("chats", sa.Column("link_preview", sa.Boolean(), nullable=True))
    op.add_column("chats", sa.Column("summary_sentences", sa.Integer(), nullable=True))
    op.add_column(
        "chats", sa.Column("show_ads", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column(
        "articles", sa.Column("advert", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_index("ix_article_sources_name", "article_sources", ["name", "article_id", "seen_at"])
    op.create_table(
        "mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name="fk_mutes_chat_id_chats",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_mutes"),
        sa.UniqueConstraint("chat_id", "kind", "value", name="uq_mutes_chat_id"),
    )


def downgrade() -> None:
    op.drop_table("mutes")
    op.drop_index("ix_article_sources_name", table_name="article_sources")
    op.execute("DELETE FROM subscriptions WHERE kind = 'source'")
    # Not batch mode: SQLite drops a column in place since 3.35 (no copy of the archive).
    op.execute("ALTER TABLE articles DROP COLUMN advert")
    for column in CHAT_COLUMNS:
        op.execute(f"ALTER TABLE chats DROP COLUMN {column}")
