"""The one schema of the archive, shared by SQLite and PostgreSQL (SQLAlchemy Core).

Times are stored as naive UTC and returned as aware UTC datetimes (see UTCDateTime), so both
backends compare and index them the same way. Chat ids are 64-bit.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.sql.expression import false, true
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Feeds and other polled sources, with their polling state.
sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    # feed | page | file | manual | channel (a public channel's web preview) | admin_channel
    Column("kind", String(16), nullable=False),
    Column("url", Text, nullable=False, unique=True),
    Column("title", Text),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("body_hash", String(64)),  # SHA-256 of the feed body last read
    Column("poll_interval", Integer, nullable=False, default=900),  # seconds
    Column("next_poll_at", UTCDateTime),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_polled_at", UTCDateTime),
    Column("site_url", Text),  # the feed's own link (OPML's htmlUrl)
    Column("last_success_at", UTCDateTime),
    Column("last_error_at", UTCDateTime),  # when last_error happened (kept after a success)
    Column("failing_since", UTCDateTime),  # first failure of the current run; NULL when fine
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    Column("chat_id", BigInteger),  # an administered channel's chat id (its updates carry it)
    Column("last_post_id", BigInteger),  # a public channel's newest message read from its preview
    Index("ix_sources_chat_id", "chat_id", unique=True),
)

# Turns at a host polled politely (t.me's channel previews): one request at a time, spaced.
# A poller takes the turn with a compare-and-set of `free_at`; see bot/storage/host_turns.py.
host_turns = Table(
    "host_turns",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("free_at", UTCDateTime, nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, unique=True),  # canonical URL; NULL for pasted text and files
    Column("title", Text, nullable=False),
    Column("lead", Text, nullable=False, default=""),
    Column("body", Text, nullable=False),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("fingerprint", LargeBinary),  # near-duplicate signature
    Column("published_at", UTCDateTime),
    Column("ingested_at", UTCDateTime, nullable=False, default=utcnow),
    # Lemmas without stop words, what full-text search indexes (migration 0002): an FTS5 table
    # `article_search` over these columns on SQLite, a tsvector column `search` on PostgreSQL.
    Column("title_lemmas", Text, nullable=False, default=""),
    Column("text_lemmas", Text, nullable=False, default=""),
    # The story (one event told by several outlets) the article belongs to (migration 0007):
    # set when the article is stored, never changed. NULL only before `svodka db upgrade`.
    Column("story_id", Integer),
    # Marked as advertising (bot/adverts.py, migration 0012): hidden unless a chat asks.
    Column("advert", Boolean, nullable=False, default=False, server_default=false()),
    Index("ix_articles_ingested", "ingested_at", "id"),
    Index("ix_articles_story", "story_id", "id"),
)

# Stories: the articles of one event (see summarizer/stories.py). A story's id is the id of
# its first article, which is also its representative: new articles are matched against it,
# so a story cannot drift from the event it started with.
stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("representative_id", Integer, nullable=False),
    Column("first_at", UTCDateTime, nullable=False),  # publication times of its articles
    Column("last_at", UTCDateTime, nullable=False),
    Column("size", Integer, nullable=False),  # articles
    # The representative's summarizer.stories.Profile, encoded (NULL: from before 0009).
    Column("profile", LargeBinary),
    Index("ix_stories_last_at", "last_at"),
)

# The index that finds the stories a new article may join: each article's rarest title words
# and names (summarizer.stories.Profile.index_keys), with its story and its publication hour (hours
# since 1970 UTC: an integer is all a 48-hour window needs, and costs nothing to convert).
story_keys = Table(
    "story_keys",
    metadata,
    Column("key", String(64), nullable=False),
    Column("hour", Integer, nullable=False),
    Column("story_id", Integer, nullable=False),
    Index("ix_story_keys_key", "key", "hour", "story_id"),  # the lookup reads no table row
    Index("ix_story_keys_story", "story_id"),  # pruning a story (bot/storage/retention.py)
)

# MinHash LSH bands of articles.fingerprint: articles sharing a band are near-duplicate
# candidates (see bot/ingest/dedup.py).
article_bands = Table(
    "article_bands",
    metadata,
    Column("band", BigInteger, primary_key=True, autoincrement=False),
    Column(
        "article_id",
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sqlite_with_rowid=False,
)

# One story, several sources: every place an article was seen.
article_sources = Table(
    "article_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("source_id", ForeignKey("sources.id", ondelete="SET NULL")),
    Column("url", Text),
    Column("title", Text),
    Column("name", Text),  # the outlet's name as shown to readers
    Column("categories", Text),  # the source's own categories (feed tags), one per line
    Column("published_at", UTCDateTime),
    Column("seen_at", UTCDateTime, nullable=False, default=utcnow),
    UniqueConstraint("article_id", "url"),
    Index("ix_article_sources_url", "url"),
    Index("ix_article_sources_source_seen", "source_id", "seen_at"),
    # Outlets followed (by name, newest article first) and /sources (covering: no row read).
    Index("ix_article_sources_name", "name", "article_id", "seen_at"),
)

summaries = Table(
    "summaries",
    metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("method", String(32), primary_key=True),
    Column("text", Text, nullable=False),
)

topics = Table(
    "topics",
    metadata,
    Column("slug", String(32), primary_key=True),
    Column("name", Text, nullable=False),
)

article_topics = Table(
    "article_topics",
    metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("topic", ForeignKey("topics.slug", ondelete="CASCADE"), primary_key=True),
    Column("rank", Integer, nullable=False, default=0),  # 0 = the main topic
    Index("ix_article_topics_topic", "topic", "article_id"),
)

chats = Table(
    "chats",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # Telegram chat id
    Column("kind", String(16), nullable=False),  # private | group | supergroup | channel
    Column("title", Text),
    Column("username", Text),
    Column("timezone", Text),  # NULL: the deployment's default
    Column("digest_time", String(5)),  # "HH:MM" local time; NULL: no daily digest
    Column("instant", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("inactive_reason", Text),
    Column("added_by", BigInteger),  # the user who connected a channel or group
    Column("last_digest_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    # What readers control (migration 0012). `delivery_asked`: the chat was asked how to get
    # news at its first subscription (chats from before 0012 count as asked: they chose).
    Column("delivery_asked", Boolean, nullable=False, default=False, server_default=true()),
    Column("link_preview", Boolean),  # NULL: on for instant pushes, off for digests
    Column("summary_sentences", Integer),  # in pushes and /latest; NULL: the default (3)
    Column("show_ads", Boolean, nullable=False, default=False, server_default=false()),
)


def chat_id_column() -> Column:
    """A row's chat; it follows the chat when a group becomes a supergroup (a new id)."""
    return Column(
        "chat_id",
        ForeignKey("chats.id", ondelete="CASCADE", onupdate="CASCADE"),
        nullable=False,
    )


subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    chat_id_column(),
    Column("kind", String(8), nullable=False),  # topic | keyword | source
    # topic slug, the keyword's lemmas joined by " ", or the outlet's name (article_sources.name)
    Column("value", Text, nullable=False),
    Column("label", Text, nullable=False),  # as the user typed it
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    UniqueConstraint("chat_id", "kind", "value"),
    Index("ix_subscriptions_value", "kind", "value"),
)

# What a chat does not want to see (migration 0012): words (their lemmas, as keywords) and
# outlets (article_sources.name). At most bot.handlers.mutes.MAX_MUTES per chat.
mutes = Table(
    "mutes",
    metadata,
    Column("id", Integer, primary_key=True),
    chat_id_column(),
    Column("kind", String(8), nullable=False),  # word | source
    Column("value", Text, nullable=False),
    Column("label", Text, nullable=False),  # as the user typed it, or the outlet's name
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    UniqueConstraint("chat_id", "kind", "value"),
)

# The outbox: one row per chat and item (an article push or a digest for a period).
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    chat_id_column(),
    Column("item", String(64), nullable=False),  # "article:<id>" | "digest:<period>"
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE")),
    Column("state", String(8), nullable=False, default="pending"),  # pending|sent|failed|dropped
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False, default=utcnow),
    Column("last_error", Text),
    Column("message_id", BigInteger),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    Column("sent_at", UTCDateTime),
    Column("finished_at", UTCDateTime, index=True),  # sent, failed or dropped at
    Column("payload", Text),  # a digest's article ids (JSON), fixed when it is enqueued
    Column("parts_sent", Integer, nullable=False, default=0, server_default="0"),  # confirmed
    # The worker sending the row now (NULL: free); its claims go when its `workers` row does.
    Column("claimed_by", ForeignKey("workers.id", ondelete="SET NULL"), index=True),
    UniqueConstraint("chat_id", "item"),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
)

# Articles stored and not yet scanned for instant pushes: written in the transaction that
# stores the article, so a scanner sees each article exactly when it commits, whatever its id.
push_queue = Table(
    "push_queue",
    metadata,
    Column(
        "article_id",
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
)

# Delivery workers alive now (see bot/delivery/heartbeat.py).
workers = Table(
    "workers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
)

# Telegram updates some bot instance has taken on (pruned after a day).
processed_updates = Table(
    "processed_updates",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("seen_at", UTCDateTime, nullable=False, index=True),
)

# Small named values kept across restarts.
markers = Table(
    "markers",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
