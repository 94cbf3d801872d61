"""Feeds and pages built to hurt, from a local server: quadratic markup, huge feeds, slow item
pages, the same body again, links Telegram cannot open, control characters; and the worker
processes that keep all of it off the bot's event loop."""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from datetime import timedelta

import pytest
from aiohttp import web

from bot.ingest import feeds
from bot.ingest.document import html_to_text, looks_like_html, plain_text
from bot.ingest.feeds import parse_feed, poll_feed
from bot.ingest.fetch import open_session
from bot.ingest.offload import INLINE, Overtime, ProcessOffload, time_budget
from bot.ingest.pipeline import ingest_document, prepare
from bot.ingest.poller import poll_claimed
from bot.storage import articles, sources
from bot.storage.schema import utcnow
from tests.ingest.test_feeds import OTHER, PARAGRAPHS, add_feed, html, rss


class CountingOffload:
    """Runs in place, counting what ran: shows which steps a poll did."""

    remote = False

    def __init__(self) -> None:
        self.ran: list[str] = []

    async def run(self, function, *args):
        target = function.func if isinstance(function, functools.partial) else function
        self.ran.append(target.__name__)
        return await INLINE.run(function, *args)


async def poll(database, feed, settings, offload=INLINE):
    async with open_session(settings) as session:
        return await poll_feed(database, feed, settings, session=session, offload=offload)


@pytest.mark.parametrize(
    "attack",
    [
        lambda: plain_text("<" * 40_000),
        lambda: plain_text("&lt;" * 40_000),
        lambda: plain_text("&lt;script " * 20_000),
        lambda: html_to_text("<script " * 20_000),
        lambda: html_to_text("<style>" * 20_000 + "</style>"),
        lambda: html_to_text("<" * 200_000),
        lambda: html_to_text("<br " * 100_000),
        lambda: looks_like_html("<" + " " * 100_000),
        lambda: prepare(feeds.Document(text=" ".join(PARAGRAPHS), title="&lt;" * 40_000)),
    ],
)
def test_quadratic_markup_is_read_in_linear_time(attack):
    with time_budget(1.0):  # each took 5 to 30 s with the old patterns
        attack()


def test_markup_is_still_removed():
    assert plain_text("&lt;b&gt;Рост &amp;quot;ВВП&amp;quot;&lt;/b&gt;") == 'Рост "ВВП"'
    fragment = "<p>Один</p><SCRIPT>var a = '<p>';</script ><style>p{}</style>два<br>три"
    assert html_to_text(fragment) == "Один\nдва\nтри"
    assert html_to_text("до<script>никогда не закрыт") == "до"
    assert looks_like_html("<p>текст</p>") and not looks_like_html("a < b > c")


def test_a_time_budget_cannot_be_swallowed():
    def stubborn() -> None:
        try:  # a library catching every exception, as feedparser does
            while True:
                pass
        except Overtime:
            pass
        while True:
            pass

    with pytest.raises(Overtime), time_budget(0.1):
        stubborn()


async def test_a_huge_feed_gives_its_newest_entries_in_one_log_line(
    database, site, settings, caplog
):
    now = utcnow().replace(microsecond=0)
    items = [
        {
            "title": f"Новость {number}",
            "link": site.url(f"/news/{number}"),
            "html": "Коротко.",
            "published": now - timedelta(minutes=number),
        }
        for number in range(3000)
    ]
    feed = await add_feed(database, site.serve("/rss", rss(items), content_type="application/xml"))
    capped = settings.model_copy(update={"feed_max_entries": 5})
    async with database.transaction() as conn:
        feed = await sources.claim_due_feed(conn, utcnow(), timedelta(minutes=5))
    with caplog.at_level(logging.INFO):
        async with open_session(capped) as session:
            report = await poll_claimed(database, feed, capped, session=session)
    assert report.rejected == 5  # the newest five, teasers too short; their pages are 404
    assert sorted(request.path for request in site.requests if request.path != "/rss") == [
        f"/news/{number}" for number in range(5)
    ]
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("bot")]
    assert len(lines) == 1 and "5 rejected" in lines[0]


async def test_item_pages_are_fetched_a_few_at_a_time_within_a_budget(
    database, site, settings, monkeypatch
):
    monkeypatch.setattr(feeds, "PAGES_BUDGET", 1)  # one fetch timeout (1 s) for all pages
    in_flight = most = 0
    forever = asyncio.Event()

    async def hanging(request: web.Request) -> web.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            await forever.wait()
        finally:
            in_flight -= 1
        return web.Response(text="late")

    teaser = "Выставка берестяных грамот открылась в городской библиотеке Заречного сегодня утром."
    items = [
        {
            "title": f"Грамоты {number}",
            "link": site.route(f"/page/{number}", hanging),
            "html": teaser,
        }
        for number in range(8)
    ]
    feed = await add_feed(database, site.serve("/rss", rss(items), content_type="application/xml"))
    report = await poll(database, feed, settings)
    assert most == feeds.PAGES_AT_ONCE
    assert (report.added, report.teasers_kept) == (1, 8)  # the same teaser: one story
    assert "8 pages not fetched" in str(report)


async def test_the_same_body_again_is_not_parsed(database, site, settings):
    body = rss([{"title": "Хоккей", "link": site.url("/sport/1"), "html": html(PARAGRAPHS)}])
    feed = await add_feed(database, site.serve("/rss", body, content_type="application/xml"))
    offload = CountingOffload()
    assert (await poll(database, feed, settings, offload)).added == 1
    async with database.read() as conn:
        feed = await sources.get_feed(conn, feed.id)
    assert feed.body_hash is not None
    again = await poll(database, feed, settings, offload)
    assert (again.added, again.duplicate, offload.ran.count("parse_feed")) == (0, 0, 1)
    changed = rss([{"title": "Грамоты", "link": site.url("/culture/2"), "html": html(OTHER)}])
    site.serve("/rss", changed, content_type="application/xml")
    assert (await poll(database, feed, settings, offload)).added == 1
    assert offload.ran.count("parse_feed") == 2


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "tg://resolve?domain=x",
        "ftp://example.com/news",
        "https://",
    ],
)
async def test_a_link_telegram_cannot_open_is_not_kept(database, link):
    [entry] = parse_feed(rss([{"title": "Хоккей", "link": link, "html": html(PARAGRAPHS)}])).entries
    assert entry.document.url is None
    result = await ingest_document(database, feeds.Document(text=" ".join(OTHER), url=link))
    async with database.read() as conn:
        stored = await articles.get(conn, result.article_id)
    assert result.status == "added" and stored.url is None


async def test_control_characters_are_stripped_at_ingest(database):
    doc = feeds.Document(
        text="\x1b[2J" + "\n".join(PARAGRAPHS) + "\x00\x07",
        title="Хоккей\x1b]0;owned\x07 \x9bфинал",
        source_name="Вести\x00 Заречного\x1b[31m",
        categories=("Спорт\x08",),
    )
    result = await ingest_document(database, doc)
    async with database.read() as conn:
        stored = await articles.get(conn, result.article_id)
    shown = stored.title + stored.summary + (stored.source_name or "")
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in shown)
    assert stored.title == "Хоккей]0;owned финал"
    assert stored.source_name == "Вести Заречного[31m"


def imported_modules() -> list[str]:
    return sorted(sys.modules)


async def test_worker_processes_parse_and_summarize_without_aiogram(database, site, settings):
    body = rss([{"title": "Хоккей", "link": site.url("/sport/1"), "html": html(PARAGRAPHS)}])
    feed = await add_feed(database, site.serve("/rss", body, content_type="application/xml"))
    offload = ProcessOffload(1)
    try:
        report = await poll(database, feed, settings, offload)
        modules = await offload.run(imported_modules)
    finally:
        await offload.shutdown()
    assert (report.added, report.problems) == (1, [])
    assert "feedparser" in modules and "summarizer" in modules
    assert not [name for name in modules if name.split(".")[0] == "aiogram"]
    async with database.read() as conn:
        [stored] = await articles.latest(conn, limit=1)
    assert stored.title == "Хоккей" and "Решающую шайбу" in stored.summary
