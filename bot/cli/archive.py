"""`svodka ingest | latest | db upgrade | feeds`: the archive's commands. Each opens the
database, brings its schema up to date and closes it; storage loads only when one runs."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.config import Settings, load_settings
from bot.untrusted import printable

if TYPE_CHECKING:
    from bot.storage import Database
    from bot.storage.articles import ArticleView, SourceLink
    from bot.storage.sources import FeedHealth


def run(command: Callable[..., Coroutine[Any, Any, int]], *params: object) -> int:
    """Run one of the async commands below with the settings of the environment."""
    import asyncio

    return asyncio.run(command(load_settings(), *params))


@asynccontextmanager
async def open_database(settings: Settings, *, progress: bool = False) -> AsyncIterator[Database]:
    """The database of `settings`, migrated to the newest schema, every article in a story
    (`progress`: with a bar while an older archive gets them); closed on exit."""
    from bot.ingest.stories import assign_unassigned
    from bot.storage import Database, upgrade

    db = Database(settings.database_url)
    try:
        await upgrade(db)
        await assign_unassigned(db, progress=progress)
        yield db
    finally:
        await db.close()


def _error(message: str) -> None:
    print(printable(f"svodka: {message}"), file=sys.stderr)


async def ingest(settings: Settings, items: Sequence[str]) -> int:
    from tqdm import tqdm

    from bot.ingest.intake import ingest_paths_or_urls

    async with open_database(settings) as db:
        report = await ingest_paths_or_urls(
            db, items, settings, echo=lambda line: tqdm.write(printable(line), file=sys.stderr)
        )
    print(report)
    return 0


async def latest(settings: Settings, topic: str | None, limit: int, as_json: bool = False) -> int:
    """The newest `limit` stories (in `topic`), as text or one JSON object per line."""
    from bot.storage import stories
    from summarizer.topics import TOPICS, find_topic

    slugs: tuple[str, ...] = ()
    if topic:
        found = find_topic(topic)
        if found is None:
            known = ", ".join(item.slug for item in TOPICS)
            _error(f"unknown topic {topic!r}; topics: {known}")
            return 2
        slugs = (found.slug,)
    async with open_database(settings) as db, db.read() as conn:
        views = (await stories.latest_page(conn, topics=slugs, count=limit)).views
        if as_json:
            ids = [view.story_id for view in views if view.story_id is not None]
            links = await stories.story_links(conn, ids)
    if as_json:
        for view in views:
            sourced = None if view.story_id is None else links.get(view.story_id)
            print(json.dumps(story_json(view, sourced), ensure_ascii=False))
        return 0
    if not views:
        print("(no articles yet: add some with `svodka ingest PATH`)")
    zone = ZoneInfo(settings.timezone)
    for view in views:
        when = (view.published_at or view.ingested_at).astimezone(zone)
        tags = " ".join(f"#{slug}" for slug in view.topics)
        outlets = ", ".join(source.outlet for source in view.sources)
        origin = " · ".join(part for part in (outlets or view.source_name, view.url) if part)
        lines = [f"{when:%Y-%m-%d %H:%M}  {view.title}  {tags}".rstrip(), view.summary or view.lead]
        print(printable("\n".join(lines)))  # stored before ingest stripped control characters
        print(f"{printable(origin)}\n" if origin else "")
    return 0


def story_json(view: ArticleView, links: Sequence[SourceLink] | None = None) -> dict:
    """A story as `svodka latest --json` prints it; `links`: every place its articles were
    seen (`stories.story_links`), else its outlets."""
    from bot.storage.articles import SourceLink

    sources = links or view.sources
    if not sources and (view.url or view.source_name):
        sources = (SourceLink(view.url, view.title, view.source_name or ""),)
    return {
        "story": view.story_id if view.story_id is not None else -view.id,
        "title": view.title,
        "summary": view.summary or view.lead,
        "topics": view.topics,
        "published": (view.published_at or view.ingested_at).isoformat(),
        "sources": [
            {"url": source.url, "title": source.title, "source": source.outlet}
            for source in sources
        ],
    }


async def db_upgrade(settings: Settings) -> int:
    async with open_database(settings, progress=True):
        print("database schema is up to date")
    return 0


async def feeds_add(settings: Settings, url: str, interval: int | None) -> int:
    from bot.channel_refs import NotAChannel, is_channel_ref, source_url
    from bot.ingest.document import SourceError
    from bot.ingest.fetch import check_destination
    from bot.storage import sources

    kind = sources.CHANNEL if is_channel_ref(url) else sources.FEED
    try:
        if kind == sources.CHANNEL:
            url = source_url(url)
        else:
            await check_destination(url, settings)
    except (SourceError, NotAChannel) as error:
        _error(str(error))
        return 2
    async with open_database(settings) as db, db.transaction() as conn:
        feed = await sources.add_feed(
            conn, url, poll_interval=interval or settings.feed_poll_interval, kind=kind
        )
    print(printable(f"feed {feed.id}: {feed.url} (every {feed.poll_interval // 60} min)"))
    return 0


async def feeds_remove(settings: Settings, feed: str) -> int:
    from bot.channel_refs import NotAChannel, source_url
    from bot.storage import sources

    try:
        url = source_url(feed)
    except NotAChannel as error:
        _error(str(error))
        return 2
    async with open_database(settings) as db, db.transaction() as conn:
        removed = await sources.remove_feed(conn, url)
    if not removed:
        _error(f"no feed {feed!r}; see `svodka feeds list`")
        return 1
    print(f"removed {feed}")
    return 0


FEEDS_PER_PAGE = 50


async def feeds_list(settings: Settings, page: int = 1) -> int:
    from bot.storage import sources
    from bot.storage.schema import utcnow

    now = utcnow()
    async with open_database(settings) as db, db.read() as conn:
        feeds = await sources.feeds_health(conn, now)
    if not feeds:
        print("(no feeds: add one with `svodka feeds add URL`)")
        return 0
    first = (max(page, 1) - 1) * FEEDS_PER_PAGE
    zone = ZoneInfo(settings.timezone)
    print(f"(times in {settings.timezone})")
    for health in feeds[first : first + FEEDS_PER_PAGE]:
        print(printable("\n".join(feed_lines(health, now, zone))))
    if (left := len(feeds) - first - FEEDS_PER_PAGE) > 0:
        print(f"({left} more: svodka feeds list --page {page + 1})")
    return 0


def feed_lines(health: FeedHealth, now: datetime, zone: ZoneInfo) -> list[str]:
    """One feed as `svodka feeds list` shows it: id, URL and state, then its history."""
    from bot.storage.sources import ADMIN_CHANNEL

    feed = health.feed

    def when(moment: datetime | None) -> str:
        return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}" if moment else "never"

    if feed.kind == ADMIN_CHANNEL:
        lines = [
            f"{feed.id:>4}  {feed.url}  administered channel: posts arrive as updates, "
            f"{health.articles_24h} in 24 h"
        ]
        if feed.failing_since:
            lines.append(f"      FAILING since {when(feed.failing_since)}: {feed.last_error}")
        return lines
    if health.failing_long(now):
        state = f"FAILING since {when(feed.failing_since)} ({feed.failures} polls)"
    elif feed.failures:
        state = f"failing ({feed.failures} polls)"
    else:
        state = "ok"
    lines = [
        f"{feed.id:>4}  {feed.url}  every {feed.poll_interval // 60} min  {state}",
        f"      last success {when(feed.last_success_at)}, {health.articles_24h} articles in 24 h,"
        f" next poll {when(feed.next_poll_at)}",
    ]
    if feed.last_error:
        lines.append(f"      last error {when(feed.last_error_at)}: {feed.last_error}")
    return lines


async def feeds_import(settings: Settings, path: str) -> int:
    """Add the feeds an OPML file lists: all of them or, for a bad file, none; those whose
    address is refused (private, local, unknown) are listed as skipped."""
    from bot.ingest.fetch import refused_destinations
    from bot.ingest.opml import MAX_OPML_BYTES, OpmlError, read_opml
    from bot.storage import sources

    try:
        listed = read_opml(_read_bytes(path, MAX_OPML_BYTES + 1))
    except OSError as error:
        _error(f"cannot read {path}: {error.strerror or error}")
        return 2
    except OpmlError as error:
        _error(f"{path} refused, nothing imported: {error}")
        return 2
    listed.refuse(await refused_destinations([feed.url for feed in listed.feeds], settings))
    async with open_database(settings) as db, db.transaction() as conn:
        added, known = await sources.import_feeds(
            conn,
            [(feed.url, feed.title, feed.site_url) for feed in listed.feeds],
            poll_interval=settings.feed_poll_interval,
        )
    print(f"{added} feeds added, {known} already there, {len(listed.problems)} entries skipped")
    for problem in listed.problems:
        print(printable(f"  skipped {problem}"))
    return 0


async def feeds_export(settings: Settings, path: str | None) -> int:
    """The feeds as OPML 2.0, to `path` or standard output."""
    from bot.ingest.opml import OpmlFeed, write_opml
    from bot.storage import sources
    from bot.storage.schema import utcnow

    async with open_database(settings) as db, db.read() as conn:
        feeds = await sources.list_feeds(conn)
    listed = [OpmlFeed(feed.url, feed.title, feed.site_url) for feed in feeds]
    data = write_opml(listed, title="Svodka feeds", now=utcnow())
    if path is None:
        sys.stdout.buffer.write(data + b"\n")
        return 0
    try:
        _write_bytes(path, data)
    except OSError as error:
        _error(f"cannot write {path}: {error.strerror or error}")
        return 2
    print(f"{len(listed)} feeds written to {path}")
    return 0


def _read_bytes(path: str, limit: int) -> bytes:
    """At most `limit` bytes of a file: enough to tell one that is too big."""
    with open(path, "rb") as file:
        return file.read(limit)


def _write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as file:
        file.write(data)
