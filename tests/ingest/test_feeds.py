"""RSS and Atom feeds from a local server: entries, categories, teasers, conditional GET,
failures with backoff, and the background poller."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.ingest import poller as feed_poller
from bot.ingest.feeds import parse_feed, poll_feed
from bot.ingest.fetch import open_session
from bot.ingest.intake import ingest_paths_or_urls
from bot.ingest.poller import poll_claimed, poll_feeds_forever
from bot.storage import articles, sources
from bot.storage.schema import article_sources, utcnow
from bot.storage.schema import sources as sources_table

PARAGRAPHS = [
    "Сборная Заречного по хоккею выиграла финал областного первенства со счётом 4:2.",
    "Решающую шайбу за три минуты до конца матча забросил капитан команды Илья Смирнов.",
    "Болельщики заполнили ледовую арену до отказа, билеты были распроданы за неделю.",
    "Тренер назвал победу заслуженной и поблагодарил игроков за характер.",
    "Теперь команда представит область на всероссийском турнире в марте.",
]
OTHER = [
    "В городской библиотеке открылась выставка берестяных грамот из раскопок прошлого лета.",
    "Посетители увидят двадцать находок, среди которых письмо купца к жене и список покупок.",
    "Археологи рассказали, что грамоты пролежали в земле около восьмисот лет.",
    "Выставка продлится до конца года, вход свободный для школьников и студентов.",
    "Организаторы обещают проводить экскурсии по выходным.",
]


def rss(items: list[dict], *, encoding: str = "utf-8") -> bytes:
    def item(entry: dict) -> str:
        tags = "".join(f"<category>{name}</category>" for name in entry.get("categories", ()))
        date = format_datetime(entry["published"]) if "published" in entry else ""
        return (
            f"<item><title>{entry['title']}</title><link>{entry['link']}</link>"
            f"<description><![CDATA[{entry['html']}]]></description>{tags}"
            + (f"<pubDate>{date}</pubDate>" if date else "")
            + "</item>"
        )

    document = (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        "<title>Вести Заречного</title><link>http://example/</link>"
        + "".join(item(entry) for entry in items)
        + "</channel></rss>"
    )
    return document.encode(encoding)


def html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


async def add_feed(database, url: str):
    async with database.transaction() as conn:
        return await sources.add_feed(conn, url, poll_interval=600)


async def get_feed(database, feed_id: int):
    async with database.read() as conn:
        return await sources.get_feed(conn, feed_id)


async def poll(database, feed, settings):
    async with open_session(settings) as session:
        return await poll_feed(database, feed, settings, session=session)


async def test_a_feed_in_windows_1251_with_categories(database, site, settings):
    now = utcnow().replace(microsecond=0)
    body = rss(
        [
            {
                "title": "Выставка &lt;b&gt;берестяных&lt;/b&gt; грамот",
                "link": site.url("/culture/2"),
                "html": html(OTHER),
                "categories": ["Культура"],
                "published": now,
            },
            {
                "title": "Хоккеисты выиграли финал",
                "link": site.url("/sport/1"),
                "html": html(PARAGRAPHS),
                "categories": ["Спорт"],
                "published": now - timedelta(hours=1),
            },
        ],
        encoding="windows-1251",
    )
    feed = await add_feed(database, site.serve("/rss", body, content_type="application/rss+xml"))
    report = await poll(database, feed, settings)
    assert (report.added, report.problems) == (2, [])
    async with database.read() as conn:
        culture, sport = await articles.latest(conn, limit=2)  # oldest entry ingested first
        categories = await conn.scalars(
            article_sources.select().with_only_columns(article_sources.c.categories)
        )
        assert sorted(categories) == ["Культура", "Спорт"]
    assert (sport.title, culture.title) == (
        "Хоккеисты выиграли финал",
        "Выставка берестяных грамот",
    )
    assert sport.topics[0] == "sport" and culture.topics[0] == "culture"
    assert sport.source_name == "Вести Заречного"
    assert sport.published_at == now - timedelta(hours=1)
    state = await get_feed(database, feed.id)
    assert (state.failures, state.title) == (0, "Вести Заречного")
    assert state.next_poll_at == state.last_polled_at + timedelta(seconds=600)


async def test_conditional_get_and_no_second_analysis(database, site, settings):
    body = rss([{"title": "Хоккей", "link": site.url("/sport/1"), "html": html(PARAGRAPHS)}])

    async def conditional(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(
            body=body,
            headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"},
            content_type="application/rss+xml",
        )

    feed = await add_feed(database, site.route("/rss", conditional))
    assert (await poll(database, feed, settings)).added == 1
    feed = await get_feed(database, feed.id)
    assert (feed.etag, feed.last_modified) == ('"v1"', "Wed, 01 May 2024 10:00:00 GMT")
    second = await poll(database, feed, settings)
    assert (second.added, second.duplicate) == (0, 0)
    request = site.hits("/rss")[-1]
    assert request.headers["If-None-Match"] == '"v1"'
    assert request.headers["If-Modified-Since"] == "Wed, 01 May 2024 10:00:00 GMT"
    assert (await get_feed(database, feed.id)).failures == 0


async def test_a_teaser_is_completed_from_its_link(database, site, settings):
    article_page = (
        "<html><head><title>Хоккей</title></head><body><article><h1>Хоккеисты выиграли</h1>"
        + html(PARAGRAPHS)
        + "</article></body></html>"
    )
    link = site.serve("/sport/1", article_page)
    teaser = (
        "В городской библиотеке открылась выставка берестяных грамот из раскопок прошлого лета."
    )
    body = rss(
        [
            {"title": "Хоккеисты выиграли", "link": link, "html": "Финал за нами. Подробности."},
            {"title": "Выставка", "link": site.url("/culture/404"), "html": teaser},
            {"title": "Грамоты", "link": site.url("/culture/full"), "html": html(OTHER * 2)},
        ]
    )
    feed = await add_feed(database, site.serve("/rss", body, content_type="application/rss+xml"))
    report = await poll(database, feed, settings)
    assert (report.added, report.rejected) == (3, 0)
    async with database.read() as conn:
        [hockey] = await articles.search(conn, "капитан шайба")
    assert "Решающую шайбу" in hockey.summary
    assert len(site.hits("/culture/404")) == 1  # fetch failed: the teaser is kept
    assert site.hits("/culture/full") == []  # a full entry needs no fetch


@pytest.mark.parametrize(
    ("serve", "message"),
    [
        ({"body": "<html><body>Это не лента</body></html>"}, "not an RSS or Atom feed"),
        ({"body": b"\x00\x01binary", "content_type": "application/octet-stream"}, "not an RSS"),
        ({"body": "oops", "status": 500}, "HTTP 500 Internal Server Error"),
        ({"body": "gone", "status": 404}, "HTTP 404 Not Found"),
    ],
)
async def test_failing_feeds_back_off(database, site, settings, serve, message):
    feed = await add_feed(database, site.serve("/rss", **serve))
    report = await poll(database, feed, settings)
    assert report.added == 0
    [problem] = report.problems
    assert problem.removeprefix(f"{feed.url}: ").startswith(message)
    failed = await get_feed(database, feed.id)
    assert failed.failures == 1 and failed.last_error.startswith(message)
    assert failed.next_poll_at == failed.last_polled_at + timedelta(seconds=1200)
    await poll(database, failed, settings)
    again = await get_feed(database, feed.id)
    assert again.failures == 2
    assert again.next_poll_at == again.last_polled_at + timedelta(seconds=2400)


async def test_a_feed_that_times_out(database, site, settings):
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    feed = await add_feed(database, site.route("/rss", slow))
    report = await poll(database, feed, settings)
    assert report.problems == [f"{feed.url}: no answer within 1 s"]
    assert (await get_feed(database, feed.id)).failures == 1


def test_backoff_doubles_up_to_the_limit():
    waits = [sources.backoff(failures, 900, 6 * 3600) for failures in range(6)]
    assert waits == [900, 1800, 3600, 7200, 14400, 21600]


def test_atom_with_full_content():
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Атом</title><entry><title>Хоккей</title><link href='http://x/1'/>"
        "<updated>2024-05-01T10:00:00Z</updated><summary>Коротко.</summary>"
        f"<content type='html'>{html(PARAGRAPHS + OTHER).replace('<', '&lt;')}</content>"
        "<category term='Спорт'/></entry></feed>"
    ).encode()
    parsed = parse_feed(atom)
    [entry] = parsed.entries
    assert parsed.title == "Атом"
    assert not entry.teaser
    assert entry.document.text.splitlines() == PARAGRAPHS + OTHER
    assert entry.document.categories == ("Спорт",)
    assert entry.document.published.isoformat() == "2024-05-01T10:00:00+00:00"


async def test_the_poller_runs_until_stopped(database, site, settings):
    body = rss([{"title": "Хоккей", "link": site.url("/sport/1"), "html": html(PARAGRAPHS)}])
    await add_feed(database, site.serve("/rss", body, content_type="application/rss+xml"))
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_feeds_forever(database, settings, stop))
    for _ in range(100):
        async with database.read() as conn:
            if await articles.count(conn):
                break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(poller, timeout=5)
    async with database.read() as conn:
        assert await articles.count(conn) == 1


async def test_the_poller_comes_back_after_a_lost_database(database, site, settings, monkeypatch):
    """The first claim meets a lost connection: the pollers stop, back off and start again
    (a second at most), instead of ending for good."""
    body = rss([{"title": "Хоккей", "link": site.url("/sport/1"), "html": html(PARAGRAPHS)}])
    await add_feed(database, site.serve("/rss", body, content_type="application/rss+xml"))
    claim, lost = feed_poller.claim_feed, []

    async def claim_after_a_cut(db):
        if not lost:
            lost.append(True)
            raise OperationalError("claim", {}, ConnectionRefusedError("connection refused"))
        return await claim(db)

    monkeypatch.setattr(feed_poller, "claim_feed", claim_after_a_cut)
    stop = asyncio.Event()
    polling = asyncio.create_task(poll_feeds_forever(database, settings, stop))
    for _ in range(100):
        async with database.read() as conn:
            if await articles.count(conn) or polling.done():
                break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(polling, timeout=5)
    async with database.read() as conn:
        assert lost and await articles.count(conn) == 1


async def test_svodka_ingest_reads_a_feed_url_once(database, site, settings):
    body = rss(
        [
            {"title": "Хоккей", "link": site.url("/sport/1"), "html": html(PARAGRAPHS)},
            {"title": "Грамоты", "link": site.url("/culture/2"), "html": html(OTHER * 2)},
        ]
    )
    url = site.serve("/rss", body, content_type="application/xml")
    first = await ingest_paths_or_urls(database, [url], settings)
    again = await ingest_paths_or_urls(database, [url], settings)
    assert (first.added, again.added, again.duplicate) == (2, 0, 2)
    async with database.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(sources_table)) == 0


async def test_a_slow_feed_does_not_hold_back_the_others(database, site, settings):
    released = asyncio.Event()

    async def hanging(request):
        await released.wait()
        return web.Response(body=rss([]), content_type="application/rss+xml")

    await add_feed(database, site.route("/slow.xml", hanging))
    body = rss([{"title": "Хоккей", "link": site.url("/sport/1"), "html": html(PARAGRAPHS)}])
    fast = site.serve("/fast.xml", body, content_type="application/rss+xml")
    async with database.transaction() as conn:
        await sources.add_feed(conn, fast, poll_interval=1)
    stop = asyncio.Event()
    poller = asyncio.create_task(
        poll_feeds_forever(database, settings.model_copy(update={"fetch_timeout": 30.0}), stop)
    )
    try:
        for _ in range(100):  # each poll of the fast feed is its own, on its own schedule
            if len(site.hits("/fast.xml")) >= 3:
                break
            await asyncio.sleep(0.05)
        assert len(site.hits("/fast.xml")) >= 3 and len(site.hits("/slow.xml")) == 1
        async with database.read() as conn:
            assert await articles.count(conn) == 1
    finally:
        released.set()
        stop.set()
        await asyncio.wait_for(poller, timeout=5)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"role": "all", **labels}) or 0.0


async def test_polls_failures_articles_and_summaries_are_counted(database, site, settings):
    good = rss([{"title": "Хоккей", "link": site.url("/sport/1"), "html": html(PARAGRAPHS)}])
    ok_feed = await add_feed(database, site.serve("/ok", good, content_type="application/rss+xml"))
    bad_feed = await add_feed(database, site.serve("/bad", "oops", status=500))
    ok, bad = str(ok_feed.id), str(bad_feed.id)
    polls = {feed: sample("svodka_feed_polls_total", feed=feed) for feed in (ok, bad)}
    failures = {feed: sample("svodka_feed_failures_total", feed=feed) for feed in (ok, bad)}
    added = sample("svodka_articles_total", source=ok, result="added")
    summaries = sample("svodka_summarize_seconds_count")
    timed = sample("svodka_feed_poll_seconds_count")
    async with open_session(settings) as session:
        for feed in (ok_feed, bad_feed):
            await poll_claimed(database, feed, settings, session=session)
    assert {feed: sample("svodka_feed_polls_total", feed=feed) - polls[feed] for feed in polls} == {
        ok: 1,
        bad: 1,
    }
    assert {
        feed: sample("svodka_feed_failures_total", feed=feed) - failures[feed] for feed in failures
    } == {ok: 0, bad: 1}
    assert sample("svodka_articles_total", source=ok, result="added") - added == 1
    assert sample("svodka_summarize_seconds_count") - summaries == 1
    assert sample("svodka_feed_poll_seconds_count") - timed == 2


async def test_a_claimed_feed_stays_claimed_while_renewed_and_is_freed_when_not(database):
    """One poller per feed per interval, and a dead poller's feed back within the lease."""
    from datetime import timedelta

    from bot.storage import sources
    from bot.storage.schema import utcnow

    lease = timedelta(seconds=30)
    async with database.transaction() as conn:
        feed = await sources.add_feed(conn, "https://example.ru/rss", poll_interval=60)
    now = utcnow()
    async with database.transaction() as conn:
        assert (await sources.claim_due_feed(conn, now, lease)).id == feed.id
        assert await sources.claim_due_feed(conn, now + timedelta(seconds=10), lease) is None
        renewed = now + timedelta(seconds=20) + lease
        assert await sources.extend_claim(conn, feed.id, now + lease, renewed)
        # Past the first lease, but renewed: still the first poller's.
        assert await sources.claim_due_feed(conn, now + lease + timedelta(seconds=1), lease) is None
        # The poller died and renewed no more: another takes the feed once the lease ends.
        later = renewed + timedelta(seconds=1)
        assert (await sources.claim_due_feed(conn, later, lease)).id == feed.id
        # The dead poller's stale renewal changes nothing.
        assert not await sources.extend_claim(conn, feed.id, renewed, later + lease)
