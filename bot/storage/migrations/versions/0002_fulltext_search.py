"""full-text search over lemmas, near-duplicate bands, source categories

Revision ID: 0002
Revises: 0001

SQLite: an external-content FTS5 table `article_search` over articles.title_lemmas and
articles.text_lemmas, kept in sync by triggers. (A later migration that rebuilds `articles` in
batch mode drops these triggers and must create them again.)
PostgreSQL: a generated tsvector column `articles.search` (title weight A, text weight B) with
a GIN index. The lemmas themselves are computed in Python (pymorphy3), so both backends index
the same words and "туризм" finds "туризма".
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_FTS = (
    """CREATE VIRTUAL TABLE article_search USING fts5(
        title_lemmas, text_lemmas, content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0')""",
    "INSERT INTO article_search(article_search) VALUES ('rebuild')",
    """CREATE TRIGGER articles_search_insert AFTER INSERT ON articles BEGIN
        INSERT INTO article_search(rowid, title_lemmas, text_lemmas)
        VALUES (new.id, new.title_lemmas, new.text_lemmas);
    END""",
    """CREATE TRIGGER articles_search_delete AFTER DELETE ON articles BEGIN
        INSERT INTO article_search(article_search, rowid, title_lemmas, text_lemmas)
        VALUES ('delete', old.id, old.title_lemmas, old.text_lemmas);
    END""",
    """CREATE TRIGGER articles_search_update AFTER UPDATE OF title_lemmas, text_lemmas
    ON articles BEGIN
        INSERT INTO article_search(article_search, rowid, title_lemmas, text_lemmas)
        VALUES ('delete', old.id, old.title_lemmas, old.text_lemmas);
        INSERT INTO article_search(rowid, title_lemmas, text_lemmas)
        VALUES (new.id, new.title_lemmas, new.text_lemmas);
    END""",
)

POSTGRES_FTS = (
    """ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, title_lemmas), 'A')
        || setweight(to_tsvector('simple'::regconfig, text_lemmas), 'B')) STORED""",
    "CREATE INDEX ix_articles_search ON articles USING gin (search)",
)


def upgrade() -> None:
    op.add_column(
        "articles", sa.Column("title_lemmas", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "articles", sa.Column("text_lemmas", sa.Text(), nullable=False, server_default="")
    )
    op.add_column("article_sources", sa.Column("categories", sa.Text(), nullable=True))
    op.create_table(
        "article_bands",
        sa.Column("band", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_bands_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("band", "article_id", name=op.f("pk_article_bands")),
        sqlite_with_rowid=False,
    )
    _backfill_lemmas()
    for statement in SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else POSTGRES_FTS:
        op.execute(statement)


def _backfill_lemmas() -> None:
    from bot.storage.articles import index_lemmas

    bind = op.get_bind()
    articles = sa.table(
        "articles",
        sa.column("id"),
        sa.column("title"),
        sa.column("lead"),
        sa.column("body"),
        sa.column("title_lemmas"),
        sa.column("text_lemmas"),
    )
    rows = bind.execute(
        sa.select(articles.c.id, articles.c.title, articles.c.lead, articles.c.body)
    )
    for row in rows.all():
        bind.execute(
            articles.update()
            .where(articles.c.id == row.id)
            .values(
                title_lemmas=index_lemmas(row.title),
                text_lemmas=index_lemmas(
                    row.body if row.lead in row.body else f"{row.lead}\n{row.body}"
                ),
            )
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER articles_search_{trigger}")
        op.execute("DROP TABLE article_search")
    else:
        op.execute("DROP INDEX ix_articles_search")
        op.drop_column("articles", "search")
    op.drop_table("article_bands")
    with op.batch_alter_table("article_sources") as batch_op:
        batch_op.drop_column("categories")
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_column("text_lemmas")
        batch_op.drop_column("title_lemmas")
