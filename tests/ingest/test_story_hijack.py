"""A feed built to hijack stories (issue 21): 50 items of word salad made of the archive's most
frequent content words must not pull unrelated real articles into their story."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from bot.ingest.document import Document
from bot.ingest.intake import ingest_paths_or_urls
from bot.ingest.pipeline import ingest_documents, prepare
from bot.ingest.stories import KEYED_ARTICLES
from bot.storage.schema import articles, stories, story_keys
from summarizer.stories import profile_of
from summarizer.text import lemmas, stop_words
from tests.retellings import FIRE_TASS

SEEDS = Path(__file__).parents[2] / "seeds"
SALAD = "https://salad.example/"
SALAD_WORDS = 3_000
TITLE_WORDS = 6


def salad_feed(texts: list[str], titles: list[str]) -> list[Document]:
    """49 items whose body is the most frequent content words of `texts` shuffled, under six
    of those words that `titles` use each (a day of fifteen articles has few common title
    words: all of them are), and one titled «Новость» with those words in order."""
    stop = stop_words()
    counts = Counter(word for text in texts for word in lemmas(text) if word not in stop)
    words = [word for word, _ in counts.most_common(SALAD_WORDS) if len(word) > 2]
    in_titles = {word for title in titles for word in lemmas(title)}
    title_words = [word for word in words if word in in_titles]
    shuffle = random.Random(21)
    items = []
    for n in range(1, 50):
        body = shuffle.sample(words, len(words))
        title = " ".join(shuffle.sample(title_words, TITLE_WORDS)).capitalize()
        items.append(Document(" ".join(body), title=title, url=f"{SALAD}{n}"))
    items.append(Document(" ".join(words), title="Новость", url=f"{SALAD}0"))
    return [
        Document(item.text, title=item.title, url=item.url, source_name="Salad") for item in items
    ]


async def test_a_word_salad_feed_does_not_pull_real_articles_into_its_story(database, settings):
    seeds = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    titles = [prepare(Document(text)).new.title for text in seeds]
    feed = salad_feed(seeds, titles)
    results = await ingest_documents(database, feed)
    assert {result.status for result in results} <= {"added", "merged"}
    await ingest_paths_or_urls(database, [str(SEEDS)], settings, progress=False)
    async with database.read() as conn:
        rows = (await conn.execute(select(articles.c.url, articles.c.story_id))).all()
    salad_stories = {story for url, story in rows if url and url.startswith(SALAD)}
    real = [story for url, story in rows if not (url and url.startswith(SALAD))]
    assert len(real) == len(seeds)
    hijacked = [story for story in real if story in salad_stories]
    assert len(hijacked) <= 2, f"{len(hijacked)} of {len(real)} real articles joined the salad"


async def test_a_story_is_indexed_by_its_first_articles_only(database):
    # The same words in another order each time: one event, and no two texts near-duplicates.
    shuffle = random.Random(8)
    words = FIRE_TASS.text.split()
    feed = [
        replace(
            FIRE_TASS, url=f"{FIRE_TASS.url}/{n}", text=" ".join(shuffle.sample(words, len(words)))
        )
        for n in range(KEYED_ARTICLES + 4)
    ]
    await ingest_documents(database, feed)
    async with database.read() as conn:
        sizes = (await conn.execute(select(stories.c.size))).scalars().all()
        filed = (
            await conn.execute(
                select(story_keys.c.story_id, func.count()).group_by(story_keys.c.story_id)
            )
        ).all()
    assert sizes == [len(feed)]
    [(_, keys)] = filed
    assert keys == KEYED_ARTICLES * len(
        profile_of(FIRE_TASS.title + "\n" + FIRE_TASS.text).index_keys()
    )
