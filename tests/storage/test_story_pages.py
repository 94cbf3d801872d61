"""Pages of stories: /latest (within a topic too) and /search page on without repeating or
skipping a story, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import pytest

from bot.storage import articles, stories
from bot.storage.articles import SourceRef
from bot.storage.schema import utcnow
from tests.support.databases import sample_article

_serial = itertools.count()


async def archive(db, *items: tuple[str, str, tuple[str, ...]]) -> None:
    """Store (story, title, topics) in this order, each article joining the story of the first
    article of its story name (titles are the story name and a number)."""
    async with db.transaction() as conn:
        first_of: dict[str, int] = {}
        for story, title, topics in items:
            key = f"pages-{next(_serial)}"
            article_id = await articles.insert(
                conn, sample_article(title, "Индекс вырос.", key=key, topics=topics)
            )
            story_id = first_of.setdefault(story, article_id)
            joined = stories.Joined(article_id, story_id, utcnow(), (), profile=None)
            await stories.record(conn, [joined])


def story_names(views) -> list[str]:
    return [view.title.split()[0] for view in views]


async def latest_pages(db, count: int, **query) -> list[list[str]]:
    """The stories of each page of /latest with `query`, pressing "Ещё" while it is offered."""
    pages, before = [], None
    async with db.read() as conn:
        while True:
            told = await stories.latest_page(conn, **query, count=count, before_id=before)
            pages.append(story_names(told.views))
            if len(told.views) < count or told.before is None:
                return pages
            before = told.before


@pytest.mark.parametrize("query", [{"topics": ["sport"]}, {"keywords": ["матч"]}])
async def test_latest_within_a_topic_shows_each_of_its_stories_once(database, query):
    # Story "Гол" goes on outside the topic after "Финал" and "Матч" were told within it.
    await archive(
        database,
        ("Гол", "Гол матча 1", ("sport",)),
        ("Матч", "Матч матча 2", ("sport",)),
        ("Финал", "Финал матча 3", ("sport",)),
        ("Гол", "Гол рынка 4", ("economy",)),
        ("Курс", "Курс рынка 5", ("economy",)),
    )
    pages = await latest_pages(database, 1, **query)
    assert pages == [["Финал"], ["Матч"], ["Гол"], []]


async def test_latest_pages_tell_a_story_on_its_newest_article_once(database):
    await archive(
        database,
        ("Гол", "Гол 1", ("sport",)),
        ("Курс", "Курс 2", ("economy",)),
        ("Гол", "Гол 3", ("sport",)),
        ("Финал", "Финал 4", ("sport",)),
    )
    assert await latest_pages(database, 2) == [["Финал", "Гол"], ["Курс"]]
    assert await latest_pages(database, 1, topics=["sport"]) == [["Финал"], ["Гол"], []]


async def test_search_ranks_each_story_once_across_pages(database):
    # Equal matches rank newest first: "Биржа" 3, "Рынок" 2, then "Биржа" again through 1.
    await archive(
        database,
        ("Биржа", "Биржа 1", ("economy",)),
        ("Рынок", "Рынок 2", ("economy",)),
        ("Биржа", "Биржа 3", ("economy",)),
    )
    async with database.read() as conn:
        pages = [await articles.search(conn, "индекс", limit=1, offset=n) for n in range(3)]
        everything = await articles.search(conn, "индекс", limit=10)
    assert [story_names(page) for page in pages] == [["Биржа"], ["Рынок"], []]
    assert [view.title for view in everything] == ["Биржа 3", "Рынок 2"]  # the best match each


@pytest.mark.parametrize(("read", "outlets"), [(10, ["A", "B", "C"]), (3, ["A", "B"])])
async def test_a_story_lists_each_outlet_once_from_its_first_articles(
    database, monkeypatch, read, outlets
):
    monkeypatch.setattr(stories, "SOURCES_READ", read)
    async with database.transaction() as conn:
        ids = []
        for n, outlet in enumerate(["A", "A", "B", "C", "A"]):
            source = SourceRef(url=f"https://{outlet.lower()}.example/{n}", name=outlet)
            new = sample_article(f"Событие {n}", "Индекс вырос.", key=f"outlets-{n}", source=source)
            ids.append(await articles.insert(conn, new))
        await stories.record(
            conn, [stories.Joined(article_id, ids[0], utcnow(), (), None) for article_id in ids]
        )
        found = await stories.story_sources(conn, [ids[0]])
    assert [link.outlet for link in found[ids[0]]] == outlets
    assert found[ids[0]][0].url == "https://a.example/0"
