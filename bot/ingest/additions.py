"""When an article of another outlet joins a story: the sentence it adds to the story's
summary (summarizer.additions), decided once per story and stored (bot/storage/additions.py).
A story whose first other outlet adds nothing tries again with the next one to join."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import additions, articles
from bot.storage.articles import Addition, ArticleView
from bot.storage.stories import Joined
from summarizer.additions import addition


async def add_to_stories(conn: AsyncConnection, joined: Sequence[Joined]) -> None:
    """Find and store the additions of the stories that `joined` grew and that have none."""
    grown: dict[int, list[int]] = {}
    for item in joined:
        if not item.starts_story:
            grown.setdefault(item.story_id, []).append(item.article_id)
    if not grown:
        return
    have = await additions.stored(conn, list(grown))
    wanted = {story_id: ids for story_id, ids in grown.items() if story_id not in have}
    if not wanted:
        return
    views = await articles.get_many(conn, [*wanted, *chain.from_iterable(wanted.values())])
    by_id = {view.id: view for view in views}
    found = {}
    for story_id, ids in wanted.items():
        first = by_id.get(story_id)
        if first is not None:
            added = addition_to(first, [by_id[id_] for id_ in ids if id_ in by_id])
            if added is not None:
                found[story_id] = added
    await additions.store(conn, found)


def addition_to(first: ArticleView, others: Sequence[ArticleView]) -> Addition | None:
    """The sentence of another outlet's summary among `others` that adds the most to
    `first`'s, with that outlet ("" if unknown: a file or a pasted text, which may be anyone's,
    so is taken for another outlet)."""
    outlet_of: dict[str, str] = {}
    for view in others:
        if not (view.source_name and view.source_name == first.source_name):
            for sentence in view.summary_sentences:
                outlet_of.setdefault(sentence, view.source_name or "")
    chosen = addition(first.summary_sentences, first.title, outlet_of)
    return None if chosen is None else Addition(outlet_of[chosen], chosen)
