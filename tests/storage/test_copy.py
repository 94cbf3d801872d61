"""`svodka db copy --to`: a SQLite archive with every table filled, copied into a PostgreSQL
database made for the test; what `svodka latest --json`, /mysubs and the outbox show is the
same before and after, every table holds the same rows, a second run skips what is there and
a target holding other rows is refused."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from bot.cli import main
from bot.storage import chats, deliveries, sources, updates, workers
from bot.storage.copy import copied_tables
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.schema import deliveries as outbox
from bot.storage.schema import markers, utcnow
from tests.support.databases import own_postgres_database, require_postgres

SEEDS = Path(__file__).parents[2] / "seeds"
# The tables this test fills; a table added to the schema is copied all the same (and
# compared below), and belongs here once the fill gives it rows.
FILLED = {
    "articles", "chats", "markers", "processed_updates", "sources", "stories", "story_keys",
    "topics", "article_bands", "article_sources", "article_topics", "deliveries", "push_queue",
    "subscriptions", "summaries",
}  # fmt: skip


async def fill(db: Database) -> list[int]:
    """Feeds, chats, subscriptions and an outbox in every state beside the ingested seeds."""
    now = utcnow()
    chat_ids = [501, -100777]
    async with db.transaction() as conn:
        await sources.add_feed(conn, "https://news.example/rss", title="Лента")
        await chats.upsert_chat(conn, chat_ids[0], "private", title="Анна")
        await chats.upsert_chat(conn, chat_ids[1], "channel", title="Канал", added_by=501)
        await chats.add_subscription(conn, chat_ids[0], "topic", "economy", "экономика")
        await chats.add_subscription(conn, chat_ids[0], "keyword", "нефть", "нефть")
        await chats.add_subscription(conn, chat_ids[1], "topic", "politics", "политика")
        await deliveries.enqueue(
            conn,
            [
                {"chat_id": chat, "item": f"digest:{n}", "payload": "[1, 2]"}
                for n in range(3)
                for chat in chat_ids
            ],
            now - timedelta(minutes=5),
        )
        await updates.take(conn, 9001, now)
        await conn.execute(insert(markers).values(name="copied", value="yes"))
        await workers.register(conn, "w-1", "worker", "host", 42)
    async with db.transaction() as conn:
        [claimed, *_] = await deliveries.claim(conn, now, limit=2, worker="w-1")
        await deliveries.mark_failed(conn, claimed.id, error="Forbidden: bot was blocked")
        await deliveries.claim(conn, now, limit=1, worker="w-1")  # claimed when copied
    return chat_ids


async def shown(db: Database, chat_ids: list[int]) -> dict[str, object]:
    """What readers and the operator see: subscriptions (/mysubs) and the outbox."""
    async with db.read() as conn:
        subs = {chat: await chats.list_subscriptions(conn, chat) for chat in chat_ids}
        rows = (await conn.execute(select(outbox).order_by(outbox.c.id))).mappings().all()
    return {"mysubs": subs, "outbox": [{**row, "claimed_by": None} for row in rows]}


async def table_rows(db: Database) -> dict[str, list[tuple]]:
    async with db.read() as conn:
        return {
            table.name: sorted((tuple(row) for row in await conn.execute(select(table))), key=repr)
            for table in copied_tables()
        }


async def svodka(*argv: str) -> int:
    """The command line, on a thread of its own: it runs an event loop of its own."""
    return await asyncio.to_thread(main, list(argv))


async def latest_json(capsys, url: str, monkeypatch) -> str:
    monkeypatch.setenv("SVODKA_DATABASE_URL", url)
    capsys.readouterr()
    assert await svodka("latest", "--json", "-n", "50") == 0
    return capsys.readouterr().out


async def test_a_filled_sqlite_archive_copies_whole_into_postgresql(tmp_path, monkeypatch, capsys):
    require_postgres()
    monkeypatch.chdir(tmp_path)
    archive = f"sqlite+aiosqlite:///{tmp_path / 'svodka.db'}"
    monkeypatch.setenv("SVODKA_DATABASE_URL", archive)
    assert await svodka("ingest", str(SEEDS)) == 0
    source = Database(archive)
    try:
        await upgrade(source)
        chat_ids = await fill(source)
        before = await shown(source, chat_ids)
        rows = await table_rows(source)
    finally:
        await source.close()
    assert {name for name, found in rows.items() if not found} & FILLED == set()
    latest_before = await latest_json(capsys, archive, monkeypatch)

    async with own_postgres_database(f"svodka_copy_{os.getpid()}", migrated=False) as target:
        url = target.url.render_as_string(hide_password=False)
        monkeypatch.setenv("SVODKA_DATABASE_URL", archive)
        assert await svodka("db", "copy", "--to", url) == 0
        out = capsys.readouterr().out
        assert out.endswith(f"copied {sum(map(len, rows.values()))} rows; counts checked\n")
        assert await shown(target, chat_ids) == before
        copied = await table_rows(target)
        assert copied == {**rows, "deliveries": copied["deliveries"]}
        assert await latest_json(capsys, url, monkeypatch) == latest_before
        async with target.read() as conn:  # the claim of a worker that is not copied is free
            assert set(await conn.scalars(select(outbox.c.claimed_by))) == {None}
        monkeypatch.setenv("SVODKA_DATABASE_URL", archive)
        assert await svodka("db", "copy", "--to", url) == 0  # again: everything there already
        assert f"articles: {len(rows['articles'])} rows (copied before)" in capsys.readouterr().out
        async with target.transaction() as conn:  # new ids follow the copied ones
            feed = await sources.add_feed(conn, "https://other.example/rss")
        assert feed.id == max(row[0] for row in rows["sources"]) + 1
        assert await svodka("db", "copy", "--to", url) == 2
        err = capsys.readouterr().err
        assert err == (
            "svodka: the target database already holds other rows in sources (2 rows, 1 to copy)"
            ": copy into an empty database\n"
        )


def test_copy_refuses_a_live_archive_and_itself(tmp_path, monkeypatch, capsys):
    from bot.runlock import sole_run

    archive = f"sqlite+aiosqlite:///{tmp_path / 'svodka.db'}"
    monkeypatch.setenv("SVODKA_DATABASE_URL", archive)
    monkeypatch.chdir(tmp_path)
    assert main(["db", "copy", "--to", archive]) == 2
    assert "--to is the database being copied" in capsys.readouterr().err
    with sole_run(archive):
        assert main(["db", "copy", "--to", f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"]) == 2
    assert "another svodka run (pid " in capsys.readouterr().err


@pytest.mark.parametrize("rows", [0, 2500])
async def test_sqlite_to_sqlite_in_batches(tmp_path, rows):
    """Batches of BATCH rows, and a table with nothing to copy."""
    from bot.storage.copy import copy_database

    source, target = (Database(f"sqlite+aiosqlite:///{tmp_path / n}") for n in ("a.db", "b.db"))
    seen: list[tuple[str, int, int]] = []
    try:
        for db in (source, target):
            await upgrade(db)
        async with source.transaction() as conn:
            if rows:
                await conn.execute(
                    insert(markers), [{"name": f"m{n}", "value": "v"} for n in range(rows)]
                )
        report = await copy_database(source, target, lambda *step: seen.append(step))
        async with target.read() as conn:
            assert len((await conn.execute(select(markers))).all()) == rows
    finally:
        await source.close()
        await target.close()
    assert {table.name: table.rows for table in report}["markers"] == rows
    assert [step for step in seen if step[0] == "markers"] == (
        [("markers", done, rows) for done in (0, 1000, 2000, 2500)] if rows else []
    )
