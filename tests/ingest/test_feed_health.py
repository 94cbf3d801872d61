"""What an operator sees about feeds: last success, last error and when, failing for more than
a day, articles in 24 hours, next poll; in `svodka feeds list` and in /feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.cli.archive import feed_lines
from bot.storage import articles, sources
from bot.storage.articles import SourceRef
from bot.storage.schema import article_sources
from tests.support.databases import sample_article

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
MOSCOW = ZoneInfo("Europe/Moscow")


async def add_feed(database, url: str) -> sources.Feed:
    async with database.transaction() as conn:
        return await sources.add_feed(conn, url, poll_interval=900)


async def fail(database, feed_id: int, at: datetime, error: str) -> None:
    async with database.transaction() as conn:
        feed = await sources.get_feed(conn, feed_id)
        await sources.record_failure(conn, feed, at, error=error, max_backoff=3600)


async def succeed(database, feed_id: int, at: datetime) -> None:
    async with database.transaction() as conn:
        feed = await sources.get_feed(conn, feed_id)
        await sources.record_success(
            conn, feed, at, etag=None, last_modified=None, title="Вести", body_hash=None,
            site_url="https://vesti.example/",
        )  # fmt: skip


async def health(database) -> dict[str, sources.FeedHealth]:
    async with database.read() as conn:
        return {item.feed.url: item for item in await sources.feeds_health(conn, NOW)}


async def test_failures_successes_and_recent_articles(database):
    good = await add_feed(database, "https://vesti.example/rss")
    bad = await add_feed(database, "https://broken.example/rss")
    await fail(database, good.id, NOW - timedelta(hours=5), "HTTP 500 Internal Server Error")
    await succeed(database, good.id, NOW - timedelta(hours=1))
    for hours_ago in (30, 20, 2):
        await fail(database, bad.id, NOW - timedelta(hours=hours_ago), f"timeout {hours_ago}")
    for number, hours_ago in enumerate((2, 23, 25)):
        async with database.transaction() as conn:
            link = f"https://vesti.example/{number}"
            source = SourceRef(url=link, name="Вести", source_id=good.id)
            new = sample_article(f"Новость {number}", "Первая фраза. Вторая фраза.",
                                 key=f"h{number}", url=link, source=source)  # fmt: skip
            article = await articles.insert(conn, new)
            await conn.execute(
                update(article_sources)
                .where(article_sources.c.article_id == article)
                .values(seen_at=NOW - timedelta(hours=hours_ago))
            )

    found = await health(database)
    ok, broken = found[good.url], found[bad.url]
    assert ok.articles_24h == 2 and broken.articles_24h == 0
    assert ok.feed.failures == 0 and ok.feed.failing_since is None
    assert ok.feed.last_success_at == NOW - timedelta(hours=1)
    # The last error stays on record after the feed recovered, with its time.
    assert ok.feed.last_error == "HTTP 500 Internal Server Error"
    assert ok.feed.last_error_at == NOW - timedelta(hours=5)
    assert ok.feed.site_url == "https://vesti.example/"
    assert not ok.failing_long(NOW)
    assert broken.feed.failing_since == NOW - timedelta(hours=30)  # the first of the run
    assert broken.feed.last_error_at == NOW - timedelta(hours=2)
    assert broken.feed.last_success_at is None
    assert broken.failing_long(NOW)

    assert feed_lines(broken, NOW, MOSCOW) == [
        f"{bad.id:>4}  https://broken.example/rss  every 15 min"
        "  FAILING since 2026-11-29 09:00 (3 polls)",
        f"      last success never, 0 articles in 24 h, next poll"
        f" {broken.feed.next_poll_at.astimezone(MOSCOW):%Y-%m-%d %H:%M}",
        "      last error 2026-11-30 13:00: timeout 2",
    ]
    assert feed_lines(ok, NOW, MOSCOW)[0].endswith("every 15 min  ok")
