"""Public channels read from their web preview on a local server: paging back with `?before=`,
a closed preview, a 429, turns at the host, teasers, short posts, the CLI and OPML."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import timedelta

import pytest
from aiohttp import web
from sqlalchemy import select, text

from bot.cli import archive
from bot.ingest.channels import poll_channel
from bot.ingest.fetch import open_session
from bot.ingest.intake import ingest_paths_or_urls
from bot.ingest.opml import OpmlFeed, read_opml, write_opml
from bot.storage import articles, sources
from bot.storage.schema import host_turns, utcnow
from tests.ingest.channel_pages import EVAL, message, page

NEWS = [
    "Мэрия Заречного объявила о ремонте центрального моста через реку Сосновку летом.",
    "Областной суд оштрафовал управляющую компанию за холодные батареи в трёх домах.",
    "Хоккеисты Заречного выиграли финал первенства области со счётом четыре два.",
    "В библиотеке открылась выставка берестяных грамот из прошлогодних раскопок.",
    "Синоптики обещают на выходных метель и мороз до двадцати пяти градусов.",
    "Школьники города заняли первое место на олимпиаде по программированию в Казани.",
    "Новая автобусная линия свяжет вокзал с микрорайоном Северный уже в апреле.",
    "Пожарные за ночь потушили склад древесины на окраине, никто не пострадал.",
    "Театр драмы покажет премьеру «Евгения Онегина» в постановке молодого режиссёра.",
    "Поликлиника номер два начала прививать от гриппа без записи по субботам.",
    "Астрономы обсерватории заметили новую комету, её увидят в бинокль в марте.",
    "Мукомольный комбинат запустил вторую линию и наймёт ещё сорок рабочих.",
]


def news_page(name: str, ids: range, *, older: bool = True, **options) -> str:
    messages = [message(name, i, NEWS[i % len(NEWS)], **options) for i in ids]
    return page(name, "Вести Заречного", messages, older=ids[0] if older else None)


@pytest.fixture
def channel_settings(settings, site):
    return settings.model_copy(update={"telegram_web": site.base, "telegram_web_spacing": 0.05})


async def add_channel(database, name: str):
    async with database.transaction() as conn:
        return await sources.add_feed(
            conn, f"https://t.me/s/{name}", poll_interval=600, kind=sources.CHANNEL
        )


async def get_feed(database, feed_id: int):
    async with database.read() as conn:
        return await sources.get_feed(conn, feed_id)


async def poll(database, feed, settings):
    async with open_session(settings) as session:
        return await poll_channel(database, feed, settings, session=session)


async def stored(database, url: str) -> int | None:
    async with database.read() as conn:
        return await articles.find_by_url(conn, url)


async def test_first_poll_reads_the_newest_page_later_ones_page_back(
    database, site, channel_settings
):
    pages = {None: news_page("news_ch", range(10, 13))}

    async def preview(request: web.Request) -> web.Response:
        before = request.query.get("before")
        return web.Response(text=pages[int(before) if before else None], content_type="text/html")

    site.route("/s/news_ch", preview)
    feed = await add_channel(database, "news_ch")
    assert (await poll(database, feed, channel_settings)).added == 3
    feed = await get_feed(database, feed.id)
    assert (feed.last_post_id, feed.title, len(site.requests)) == (12, "Вести Заречного", 1)

    pages.update({None: news_page("news_ch", range(40, 42))})
    pages.update({40: news_page("news_ch", range(30, 32)), 30: news_page("news_ch", range(20, 22))})
    pages.update({20: news_page("news_ch", range(13, 15))})
    report = await poll(database, feed, channel_settings)
    assert [r.query.get("before") for r in site.requests[1:]] == [None, "40", "30"]  # 3 pages
    assert report.added == 6
    assert await stored(database, "https://t.me/news_ch/13") is None  # a fourth page: not read
    feed = await get_feed(database, feed.id)
    assert feed.last_post_id == 41

    await poll(database, feed, channel_settings)
    assert len(site.requests) == 5  # nothing older than the page's oldest is new


async def test_a_closed_preview_is_a_failing_source(database, site, channel_settings):
    site.route("/s/closed_ch", lambda request: _redirect("/closed_ch"))
    site.serve("/closed_ch", "<html><body><div class='tgme_page'>Канал</div></body></html>")
    feed = await add_channel(database, "closed_ch")
    report = await poll(database, feed, channel_settings)
    assert report.problems == ["https://t.me/s/closed_ch: у канала нет открытого предпросмотра"]
    failed = await get_feed(database, feed.id)
    assert failed.failures == 1 and failed.last_error == "у канала нет открытого предпросмотра"
    assert failed.next_poll_at == failed.last_polled_at + timedelta(seconds=1200)


async def _redirect(path: str) -> web.Response:
    raise web.HTTPFound(path)


async def test_a_429_rests_the_host_for_its_retry_after(database, site, channel_settings):
    site.serve("/s/busy_ch", "slow down", status=429, headers={"Retry-After": "30"})
    feed = await add_channel(database, "busy_ch")
    before = utcnow()
    report = await poll(database, feed, channel_settings)
    assert report.problems == ["https://t.me/s/busy_ch: HTTP 429: Telegram asks to wait 30 s"]
    assert (await get_feed(database, feed.id)).failures == 1
    async with database.read() as conn:
        free_at = await conn.scalar(select(host_turns.c.free_at))
    assert before + timedelta(seconds=29) < free_at < utcnow() + timedelta(seconds=31)


async def test_requests_to_the_host_take_turns_spaced_apart(database, site, settings):
    spacing = 0.3
    spaced = settings.model_copy(
        update={"telegram_web": site.base, "telegram_web_spacing": spacing}
    )
    spans: list[tuple[float, float]] = []

    async def preview(request: web.Request) -> web.Response:
        started = time.monotonic()
        await asyncio.sleep(0.1)
        spans.append((started, time.monotonic()))
        name = request.path.rsplit("/", 1)[1]
        return web.Response(text=news_page(name, range(1, 3)), content_type="text/html")

    feeds = []
    for index in range(4):
        site.route(f"/s/chan_{index}", preview)
        feeds.append(await add_channel(database, f"chan_{index}"))
    await asyncio.gather(*(poll(database, feed, spaced) for feed in feeds))
    spans.sort()
    gaps = [later[0] - earlier[1] for earlier, later in itertools.pairwise(spans)]
    assert len(spans) == 4 and min(gaps) >= spacing - 0.02  # one at a time, spaced


@pytest.mark.skipif(not EVAL.is_dir(), reason=f"captured channel pages not found at {EVAL}")
async def test_a_captured_page_served_locally(database, site, channel_settings):
    site.serve("/s/topwar_official", (EVAL / "full.html").read_bytes())
    feed = await add_channel(database, "topwar_official")
    report = await poll(database, feed, channel_settings)
    assert report.added + report.merged == 12 - report.rejected and report.added >= 10
    async with database.read() as conn:
        forwarded = await articles.get(
            conn, await articles.find_by_url(conn, "https://t.me/topwar_official/71007")
        )
    assert forwarded.source_name == "Пул N3"
    assert forwarded.title.startswith("Путин – о приоритетах ФСБ в 2023 году")


async def test_a_teaser_post_is_completed_from_its_link_and_a_short_post_is_its_summary(
    database, site, channel_settings
):
    paragraphs = "".join(f"<p>{line}</p>" for line in NEWS[:6])
    link = site.serve("/most", f"<html><body><article><h1>Мост</h1>{paragraphs}</article></html>")
    short = "Мост через Сосновку закроют на ремонт в июне. Объезд пустят по улице Ленина."
    posts = [
        message("news_ch", 1, "Мост закроют, подробности у нас на сайте.", preview=link),
        message("news_ch", 2, short + "\n\nПодписаться на Вести Заречного\n#новости"),
    ]
    site.serve("/s/news_ch", page("news_ch", "Вести Заречного", posts))
    feed = await add_channel(database, "news_ch")
    assert (await poll(database, feed, channel_settings)).added == 2
    async with database.read() as conn:
        teaser = await articles.get(
            conn, await articles.find_by_url(conn, "https://t.me/news_ch/1")
        )
        post = await articles.get(conn, await articles.find_by_url(conn, "https://t.me/news_ch/2"))
    assert "подробности" not in teaser.summary  # summarized from the linked page's text:
    assert sum(line in teaser.summary for line in NEWS[:6]) >= 2
    assert post.summary == short and post.title == "Мост через Сосновку закроют на ремонт в июне"


async def test_cli_adds_lists_ingests_and_removes_a_channel(site, channel_settings, capsys):
    site.serve("/s/news_ch", news_page("news_ch", range(1, 4), older=False))
    assert await archive.feeds_add(channel_settings, "https://t.me/s/News_Ch?before=5", None) == 0
    assert await archive.feeds_add(channel_settings, "@1news", None) == 2
    assert "не имя канала" in capsys.readouterr().err
    await archive.feeds_list(channel_settings)
    assert "https://t.me/s/news_ch  every 15 min  ok" in capsys.readouterr().out
    assert await archive.ingest(channel_settings, ["@news_ch"]) == 0
    assert "added 3" in capsys.readouterr().out
    assert await archive.feeds_remove(channel_settings, "@news_ch") == 0


def test_opml_keeps_a_channel_as_its_preview_url():
    data = write_opml([OpmlFeed("https://t.me/s/news_ch", "Вести", None)], title="t", now=utcnow())
    assert b'xmlUrl="https://t.me/s/news_ch"' in data
    listed = read_opml(data.replace(b"https://t.me/s/news_ch", b"https://t.me/News_Ch"))
    assert [feed.url for feed in listed.feeds] == ["https://t.me/s/news_ch"]
    assert sources.kind_of(listed.feeds[0].url) == sources.CHANNEL


async def test_svodka_ingest_reports_a_bad_channel_name(database, channel_settings):
    report = await ingest_paths_or_urls(database, ["@bad-name"], channel_settings, echo=print)
    assert report.rejected == 1 and "не имя канала" in report.problems[0]


async def test_migration_0011_goes_back_and_forth(database):
    from alembic import command

    from bot.storage.migrate import alembic_config, upgrade

    def downgrade_to_0010(sync_connection) -> None:
        command.downgrade(alembic_config(sync_connection), "0010")

    await add_channel(database, "news_ch")
    async with database.transaction() as conn:
        await conn.run_sync(downgrade_to_0010)
        assert (await conn.execute(text("SELECT kind, url FROM sources"))).all() == [
            ("channel", "https://t.me/s/news_ch")
        ]
    await upgrade(database)
    async with database.read() as conn:
        assert (await conn.execute(text("SELECT last_post_id FROM sources"))).all() == [(None,)]
        assert (await conn.execute(select(host_turns))).all() == []


async def test_the_demo_channel_tells_two_seed_stories_with_the_sites(database):
    from bot.config import Settings
    from bot.demo import seed_archive, seed_channels

    await seed_archive(database, Settings())
    report = await seed_channels(database, Settings())
    assert (report.added, report.rejected) == (3, 0)  # a service and a photo-only message skipped
    async with database.read() as conn:
        shared = await conn.execute(
            text(
                "SELECT a.url FROM articles a JOIN articles b ON a.story_id = b.story_id"
                " AND a.id <> b.id WHERE a.url LIKE 'https://t.me/%' ORDER BY a.url"
            )
        )
        assert shared.scalars().all() == [
            "https://t.me/zarechnyj_live/102",  # the warehouse fire, told by 010_pozhar-sklad
            "https://t.me/zarechnyj_live/105",  # the hockey final, told by 006_hokkej-final
        ]
