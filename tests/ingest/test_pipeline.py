"""The ingest pipeline over local sources: seeds, JSONL, HTML; dedup; bad input; crashes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import distinct, func, select

import summarizer
from bot.ingest.document import Document
from bot.ingest.intake import ingest_paths_or_urls
from bot.ingest.pipeline import ingest_document, ingest_documents
from bot.storage import articles
from bot.storage.schema import article_sources, summaries

SEEDS = Path(__file__).parents[2] / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))
TOKAEV = "Алматы необходимо развивать креативную экономику, считает Токаев"

STORY = (
    "Правительство утвердило программу развития туризма в горных районах до 2030 года.\n"
    "На строительство дорог, гостиниц и визит-центров направят 12 миллиардов рублей.\n"
    "Первые маршруты откроются уже следующим летом, сообщили в министерстве.\n"
    "По оценкам экспертов, поток туристов в регион вырастет вдвое за пять лет.\n"
    "Местные жители получат льготные кредиты на открытие гостевых домов.\n"
    "Программа также предусматривает обучение гидов и инструкторов."
)
REWRITE = STORY.replace(
    "Местные жители получат льготные кредиты на открытие гостевых домов.",
    "Фермеры смогут продавать продукцию туристам без посредников на новых ярмарках.",
)


def write_jsonl(path: Path, *records: dict | str) -> Path:
    lines = [
        item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for item in records
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def count_rows(db, table) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(func.count()).select_from(table))


async def test_seeds_are_stored_once(database, settings):
    lines: list[str] = []
    first = await ingest_paths_or_urls(database, [str(SEEDS)], settings, echo=lines.append)
    again = await ingest_paths_or_urls(database, [str(SEEDS)], settings, echo=lines.append)
    assert (first.added, first.rejected, lines) == (len(SEED_FILES), 0, [])
    assert (again.added, again.duplicate) == (0, len(SEED_FILES))
    async with database.read() as conn:
        [seed] = await articles.search(conn, "Токаев креативная экономика")
        assert await articles.count(conn) == len(SEED_FILES)
    assert seed.title == TOKAEV
    assert len(seed.summary_sentences) == 3
    assert seed.topics
    shown = seed.title + seed.lead + seed.summary
    assert not any(noise in shown for noise in ("Фото", "• 3658", "Еще по теме", "Свежее"))


async def test_jsonl_with_metadata_html_and_bad_lines(database, settings, tmp_path):
    path = write_jsonl(
        tmp_path / "news.jsonl",
        {
            "title": "<b>Рост &amp;quot;ВВП&amp;quot;</b> &lt;i&gt;ускорился&lt;/i&gt;",
            "text": "<p>" + STORY.replace("\n", "</p><p>") + "</p>",
            "url": "https://news.example.ru/economy/1?utm_source=tg",
            "published": "2024-03-01T12:00:00+03:00",
        },
        "{not json",
        {"title": "Без текста"},
        {"text": "Слишком коротко."},
    )
    lines: list[str] = []
    report = await ingest_paths_or_urls(database, [str(path)], settings, echo=lines.append)
    assert (report.added, report.rejected) == (1, 3)
    assert lines == [
        f"{path}:2: not JSON (Expecting property name enclosed in double quotes)",
        f'{path}:3: no "text" string in this line',
        f"{path}:4: no article text (2 words)",
    ]
    async with database.read() as conn:
        [view] = await articles.latest(conn)
    assert view.title == 'Рост "ВВП" ускорился'
    assert view.url == "https://news.example.ru/economy/1"
    assert view.published_at.isoformat() == "2024-03-01T09:00:00+00:00"
    assert "<p>" not in view.summary and "Правительство утвердило" in view.summary


async def test_html_file_in_windows_1251(database, settings, tmp_path):
    page = (
        '<html><head><meta charset="windows-1251"><title>Туризм в горах</title></head><body>'
        "<nav>Главная | Новости | Контакты</nav><article><h1>Туризм в горах</h1>"
        + "".join(f"<p>{line}</p>" for line in STORY.splitlines())
        + "</article><footer>© Вестник</footer></body></html>"
    )
    (tmp_path / "page.html").write_bytes(page.encode("cp1251"))
    report = await ingest_paths_or_urls(database, [str(tmp_path / "page.html")], settings)
    assert report.added == 1
    async with database.read() as conn:
        [view] = await articles.search(conn, "туризм")
    assert view.title == "Туризм в горах"
    assert "Правительство утвердило программу" in view.summary


async def test_bad_files_each_get_a_line_and_the_batch_goes_on(database, settings, tmp_path):
    (tmp_path / "empty.txt").write_text("   \n")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(500))
    (tmp_path / "short.txt").write_text("Заголовок\n\nОдна фраза.", encoding="utf-8")
    (tmp_path / "story.txt").write_text("Туризм в горах\n\n" + STORY, encoding="utf-8")
    huge = "Большой материал\n\n" + "\n".join(
        f"Абзац номер {n} рассказывает о событиях дня в городе и области." for n in range(80_000)
    )
    (tmp_path / "huge.txt").write_text(huge, encoding="utf-8")
    assert (tmp_path / "huge.txt").stat().st_size > 5 * 2**20
    missing = tmp_path / "missing.txt"
    lines: list[str] = []
    items = [str(tmp_path), str(missing)]
    report = await ingest_paths_or_urls(database, items, settings, echo=lines.append)
    assert (report.added, report.rejected) == (2, 4)
    assert sorted(lines) == sorted(
        [
            f"{tmp_path / 'empty.txt'}: empty file",
            f"{tmp_path / 'image.txt'}: binary file, not text",
            f"{tmp_path / 'short.txt'}: no article text (2 words)",
            f"{missing}: No such file or directory",
        ]
    )
    async with database.read() as conn:
        [big] = await articles.search(conn, "большой материал")
    assert len(big.summary_sentences) == 3


async def test_near_duplicates_become_one_article_with_two_sources(database):
    first = await ingest_document(
        database, Document(STORY, title="Туризм в горах", url="https://a.example/1")
    )
    rewrite = await ingest_document(
        database,
        Document(REWRITE, title="Горы ждут туристов", url="https://b.example/x", source_name="Б"),
    )
    same_url = await ingest_document(
        database, Document(REWRITE, title="Другое", url="https://b.example/x/?utm_medium=rss#top")
    )
    same_text = await ingest_document(database, Document(STORY, title="Копия без ссылки"))
    assert first.status == "added"
    assert (rewrite.status, rewrite.article_id, rewrite.reason) == (
        "merged",
        first.article_id,
        "near-duplicate text",
    )
    assert (same_url.status, same_url.reason) == ("duplicate", "same URL")
    assert (same_text.status, same_text.reason) == ("duplicate", "same text")
    assert await count_rows(database, article_sources) == 2
    async with database.read() as conn:
        assert await articles.count(conn) == 1


async def test_a_crash_leaves_earlier_articles_whole_and_no_half_article(database, monkeypatch):
    stored = await ingest_document(database, Document(STORY, title="Туризм в горах"))

    async def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(articles, "add_sources", crash)  # after the article rows are written
    batch = [Document(path.read_text(encoding="utf-8")) for path in SEED_FILES[:3]]
    with pytest.raises(RuntimeError):
        await ingest_documents(database, batch)
    async with database.read() as conn:
        assert [view.id for view in await articles.latest(conn)] == [stored.article_id]
    async with database.read() as conn:  # its summary (and its longer one): no other article's
        summarized = select(func.count(distinct(summaries.c.article_id)))
        assert await conn.scalar(summarized) == 1
    assert await count_rows(database, article_sources) == 1


async def test_a_batch_dedups_against_itself(database):
    results = await ingest_documents(
        database,
        [
            Document(STORY, title="Туризм в горах", url="https://a.example/1"),
            Document("Пустой"),
            Document(REWRITE, title="Горы ждут туристов", url="https://b.example/2"),
            Document(STORY, title="Туризм в горах", url="https://a.example/1/"),
        ],
    )
    [first, empty, rewrite, again] = results
    assert first.status == "added" and first.article_id is not None
    assert (empty.status, empty.article_id) == ("rejected", None)
    assert (rewrite.status, rewrite.article_id) == ("merged", first.article_id)
    assert (again.status, again.reason, again.article_id) == (
        "duplicate",
        "same URL",
        first.article_id,
    )
    assert await count_rows(database, article_sources) == 2


async def test_a_story_stored_by_another_writer_since_the_lookup_is_merged(database, monkeypatch):
    lookups = 0
    both_looked_up = asyncio.Event()
    lookup = articles.lookup

    async def lookup_then_wait(conn, batch):  # both writers plan before either stores
        nonlocal lookups
        known = await lookup(conn, batch)
        lookups += 1
        if lookups == 2:
            both_looked_up.set()
        if lookups <= 2:
            await both_looked_up.wait()
        return known

    monkeypatch.setattr(articles, "lookup", lookup_then_wait)
    first, second = await asyncio.gather(
        ingest_document(database, Document(STORY, title="Туризм", url="https://a.example/1")),
        ingest_document(database, Document(STORY, title="Туризм", url="https://b.example/1")),
    )
    assert sorted([first.status, second.status]) == ["added", "merged"]
    assert first.article_id == second.article_id
    assert lookups == 3  # the writer that came second looked again, inside its transaction
    assert await count_rows(database, article_sources) == 2


async def test_only_new_stories_are_summarized(database, monkeypatch):
    summarized: list[str] = []
    summarize = summarizer.summarize

    def counting(article, **kwargs):
        summarized.append(article.body)
        return summarize(article, **kwargs)

    monkeypatch.setattr(summarizer, "summarize", counting)
    await ingest_document(database, Document(STORY, title="Туризм", url="https://a.example/1"))
    await ingest_documents(
        database,
        [
            Document(STORY, title="Туризм", url="https://b.example/1"),
            Document(REWRITE, title="Горы ждут туристов", url="https://c.example/2"),
        ],
    )
    assert summarized == [STORY, STORY]  # the summary and the long one, of the first only


async def test_a_new_topic_never_holds_another_ingest_back(postgres_database, monkeypatch):
    """Two ingests of a fresh database both need the same new topic rows. The first one stays
    inside its article transaction; the second stores its article meanwhile (a topic row
    created inside the first transaction would make it wait for that one to end)."""
    from bot.ingest import pipeline

    original = pipeline.Plan.carry_out
    inside, finish = asyncio.Event(), asyncio.Event()

    async def held_open(plan, conn, *args):
        results = await original(plan, conn, *args)
        if not inside.is_set():
            inside.set()
            await finish.wait()
        return results

    monkeypatch.setattr(pipeline.Plan, "carry_out", held_open)
    first = asyncio.create_task(ingest_document(postgres_database, Document(STORY)))
    try:
        await asyncio.wait_for(inside.wait(), 30)
        other = Document(STORY.replace("туризма", "спорта") * 2)
        second = await asyncio.wait_for(ingest_document(postgres_database, other), 10)
    finally:
        finish.set()
    assert ((await first).status, second.status) == ("added", "added")
    async with postgres_database.read() as conn:
        views = await articles.get_many(conn, [(await first).article_id, second.article_id])
    assert set(views[0].topics) & set(views[1].topics)  # they did share a topic


async def test_a_link_with_a_port_out_of_range_is_no_link(database, settings, tmp_path):
    path = write_jsonl(
        tmp_path / "news.jsonl",
        {"title": "Туризм в горах", "text": STORY, "url": "https://news.example:99999/x"},
        {"title": "Комета", "text": SEEDS.joinpath("005_novaya-kometa.txt").read_text()},
    )
    report = await ingest_paths_or_urls(database, [str(path)], settings, echo=lambda line: None)
    assert (report.added, report.rejected) == (2, 0)
    async with database.read() as conn:
        assert {view.url for view in await articles.latest(conn)} == {None}


async def test_a_document_that_breaks_preparing_is_rejected_alone(database, monkeypatch):
    clean = summarizer.clean

    def breaks_on_one(text: str):
        if "Фермеры" in text:
            raise IndexError("a bug this text finds")
        return clean(text)

    monkeypatch.setattr(summarizer, "clean", breaks_on_one)
    seed = SEED_FILES[0].read_text(encoding="utf-8")
    first, broken, last = await ingest_documents(
        database, [Document(STORY), Document(REWRITE), Document(seed)]
    )
    assert (first.status, last.status) == ("added", "added")
    assert broken.status == "rejected" and "a bug this text finds" in broken.reason
