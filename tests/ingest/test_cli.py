"""`svodka ingest | latest | db upgrade | feeds` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import archive, main

SEEDS = Path(__file__).parents[2] / "seeds"
SEED_COUNT = len(list(SEEDS.glob("*.txt")))
SEED_STORIES = SEED_COUNT - 1  # seeds/001_izbiratelnye-okruga-2.txt retells 001's event


@pytest.fixture(autouse=True)
def database_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SVODKA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_twice_then_latest(capsys):
    assert run(capsys, "ingest", str(SEEDS))[:2] == (
        0,
        f"added {SEED_COUNT}, merged 0, skipped 0 (0 duplicates, 0 rejected)\n",
    )
    assert run(capsys, "ingest", str(SEEDS))[:2] == (
        0,
        f"added 0, merged 0, skipped {SEED_COUNT} ({SEED_COUNT} duplicates, 0 rejected)\n",
    )
    code, out, _ = run(capsys, "latest", "-n", "2")
    assert code == 0
    assert len([line for line in out.splitlines() if "#" in line]) == 2


def test_latest_by_topic_and_an_unknown_topic(capsys):
    run(capsys, "ingest", str(SEEDS / "000_b548b0995df282f2.txt"))
    code, out, _ = run(capsys, "latest", "--topic", "экономика")
    assert code == 0
    assert "Алматы необходимо развивать креативную экономику, считает Токаев" in out
    assert "Фото" not in out and "3658" not in out
    code, _, err = run(capsys, "latest", "--topic", "погода")
    assert code == 2
    assert err.startswith("svodka: unknown topic 'погода'; topics: politics, ")


def test_empty_archive_and_db_upgrade(capsys):
    assert run(capsys, "db", "upgrade")[:2] == (0, "database schema is up to date\n")
    assert run(capsys, "latest")[:2] == (
        0,
        "(no articles yet: add some with `svodka ingest PATH`)\n",
    )


def test_feeds_add_list_remove(capsys, monkeypatch):
    monkeypatch.setenv("SVODKA_ALLOW_PRIVATE_URLS", "true")
    url = "http://127.0.0.1:9/rss.xml"
    assert run(capsys, "feeds", "add", url, "--every", "30")[:2] == (
        0,
        f"feed 1: {url} (every 30 min)\n",
    )
    assert url in run(capsys, "feeds", "list")[1]
    assert run(capsys, "feeds", "remove", "1")[:2] == (0, "removed 1\n")
    assert run(capsys, "feeds", "remove", url)[0] == 1
    assert run(capsys, "feeds", "list")[1] == "(no feeds: add one with `svodka feeds add URL`)\n"


def test_feeds_list_comes_in_pages(capsys, monkeypatch):
    monkeypatch.setattr(archive, "FEEDS_PER_PAGE", 2)
    for number in range(5):
        assert run(capsys, "feeds", "add", f"https://93.184.216.34/{number}/rss")[0] == 0
    out = run(capsys, "feeds", "list")[1]
    assert "/0/rss" in out and "/1/rss" in out and "/2/rss" not in out
    assert out.endswith("(3 more: svodka feeds list --page 2)\n")
    out = run(capsys, "feeds", "list", "--page", "3")[1]
    assert "/4/rss" in out and "more:" not in out


def test_feeds_add_refuses_a_private_address(capsys, monkeypatch):
    monkeypatch.setenv("SVODKA_ALLOW_PRIVATE_URLS", "false")
    code, _, err = run(capsys, "feeds", "add", "http://127.0.0.1/rss")
    assert code == 2
    assert err == "svodka: refused: 127.0.0.1 is a private or local address\n"


def test_latest_never_prints_terminal_escapes(capsys):
    """An article stored before ingest stripped control characters is shown escaped."""
    import asyncio

    from sqlalchemy import update

    from bot.config import Settings
    from bot.storage import Database
    from bot.storage.schema import articles

    assert run(capsys, "ingest", str(SEEDS))[0] == 0

    async def poison() -> None:
        db = Database(Settings().database_url)
        async with db.transaction() as conn:
            await conn.execute(update(articles).values(title="Заголовок\x1b]0;owned\x07\x1b[2J"))
        await db.close()

    asyncio.run(poison())
    code, out, _ = run(capsys, "latest", "-n", "1")
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    assert "Заголовок\\x1b]0;owned\\x07\\x1b[2J" in out


def test_latest_json_prints_one_story_per_line_with_its_sources(capsys, tmp_path):
    import json

    from tests.retellings import FIRE_INTERFAX, FIRE_TASS, FIRE_TITLE

    retold = tmp_path / "retold.jsonl"
    retold.write_text(
        "\n".join(
            json.dumps(
                {"title": doc.title, "text": doc.text, "url": doc.url, "source": doc.source_name},
                ensure_ascii=False,
            )
            for doc in (FIRE_TASS, FIRE_INTERFAX)
        ),
        encoding="utf-8",
    )
    assert run(capsys, "ingest", str(SEEDS), str(retold))[0] == 0
    code, out, _ = run(capsys, "latest", "--json", "-n", "10000")
    stories = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(stories) == SEED_STORIES  # the retellings joined a seed's story
    assert {"story", "title", "summary", "topics", "published", "sources"} == set(stories[0])
    [fire] = [story for story in stories if story["title"] == FIRE_TITLE]
    assert fire["sources"] == [
        {"url": FIRE_TASS.url, "title": FIRE_TASS.title, "source": "ТАСС"},
        {"url": FIRE_INTERFAX.url, "title": FIRE_INTERFAX.title, "source": "Интерфакс"},
    ]
    assert stories[0]["story"] == fire["story"]  # newest first: the fire was told last
    code, out, _ = run(capsys, "latest", "--json", "-n", "1", "--topic", "спорт")
    [final] = map(json.loads, out.splitlines())
    assert "sport" in final["topics"] and final["sources"] == []


def test_latest_json_lists_an_outlets_every_article_of_a_story(capsys, tmp_path):
    import json
    from dataclasses import replace

    from tests.retellings import FIRE_INTERFAX, FIRE_TASS

    again = replace(FIRE_INTERFAX, url="https://tass.example/fire-2", source_name="ТАСС")
    feed = tmp_path / "tass.jsonl"
    feed.write_text(
        "\n".join(
            json.dumps({"title": d.title, "text": d.text, "url": d.url, "source": d.source_name})
            for d in (FIRE_TASS, again)
        ),
        encoding="utf-8",
    )
    assert run(capsys, "ingest", str(feed))[0] == 0
    _, out, _ = run(capsys, "latest", "--json")
    [story] = map(json.loads, out.splitlines())  # one outlet, one story, both articles listed
    assert [source["url"] for source in story["sources"]] == [FIRE_TASS.url, again.url]


@pytest.mark.parametrize("count", ["0", "10001", "много"])
def test_latest_count_out_of_range_is_refused(capsys, count):
    with pytest.raises(SystemExit) as exit_:
        main(["latest", "-n", count])
    assert exit_.value.code == 2
    assert "expected a number from 1 to 10000" in capsys.readouterr().err


def test_db_upgrade_gives_older_articles_their_stories_with_a_progress_bar(capsys):
    import asyncio

    from sqlalchemy import delete, func, select, update

    from bot.config import Settings
    from bot.storage import Database
    from bot.storage.schema import articles, stories, story_keys

    assert run(capsys, "ingest", str(SEEDS))[0] == 0

    async def forget_stories() -> None:  # as an archive from before migration 0007
        db = Database(Settings().database_url)
        async with db.transaction() as conn:
            await conn.execute(update(articles).values(story_id=None))
            await conn.execute(delete(stories))
            await conn.execute(delete(story_keys))
        await db.close()

    async def assigned() -> tuple[int, int]:
        db = Database(Settings().database_url)
        async with db.read() as conn:
            told = await conn.scalar(
                select(func.count()).select_from(articles).where(articles.c.story_id.isnot(None))
            )
            count = await conn.scalar(select(func.count()).select_from(stories))
        await db.close()
        return told, count

    asyncio.run(forget_stories())
    code, out, err = run(capsys, "db", "upgrade")
    assert code == 0 and out == "database schema is up to date\n"
    assert f"{SEED_COUNT}/{SEED_COUNT}" in err  # the bar's last state
    assert asyncio.run(assigned()) == (SEED_COUNT, SEED_STORIES)


def test_latest_json_lists_every_report_of_a_story_not_one_per_outlet(capsys, tmp_path):
    import json

    from tests.retellings import FIRE_INTERFAX, FIRE_TASS

    tass_again = {
        "title": "Склад в Заречном сгорел из-за короткого замыкания, считают в МЧС",
        "text": (
            "Причиной пожара на складе стройматериалов в Заречном, где огонь охватил 2 тыс. "
            "кв. м, могло стать короткое замыкание, сообщили в ГУ МЧС по Заречной области. "
            "Тушение заняло всю ночь, в нем участвовали более 80 пожарных. Пострадавших нет."
        ),
        "url": "https://tass.example/fire-cause",
        "source": "ТАСС",
    }
    reports = [
        {"title": doc.title, "text": doc.text, "url": doc.url, "source": doc.source_name}
        for doc in (FIRE_TASS, FIRE_INTERFAX)
    ] + [tass_again]
    retold = tmp_path / "retold.jsonl"
    retold.write_text("\n".join(json.dumps(item, ensure_ascii=False) for item in reports))
    assert run(capsys, "ingest", str(retold))[0] == 0
    code, out, _ = run(capsys, "latest", "--json")
    [story] = map(json.loads, out.splitlines())
    assert code == 0
    assert story["sources"] == [
        {"url": item["url"], "title": item["title"], "source": item["source"]} for item in reports
    ]
