"""What another outlet adds to a story's summary (summarizer.additions): one sentence per
story, stored as a summary of the story's first article under ADDITION_METHOD, as
"outlet\\nsentence". Decided once, when the first article of another outlet joins the story;
reading it costs the pages that show stories one lookup by primary key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import dialect
from bot.storage.articles import Addition
from bot.storage.bulk import insert_rows
from bot.storage.schema import summaries

ADDITION_METHOD = "story"


async def stored(conn: AsyncConnection, story_ids: Sequence[int]) -> dict[int, Addition]:
    """The additions of those of `story_ids` that have one."""
    if not story_ids:
        return {}
    rows = await conn.execute(
        select(summaries.c.article_id, summaries.c.text).where(
            summaries.c.method == ADDITION_METHOD,
            dialect.one_of(conn, summaries.c.article_id, sorted(set(story_ids))),
        )
    )
    return {story_id: Addition(*text.split("\n", 1)) for story_id, text in rows}


async def store(conn: AsyncConnection, additions: Mapping[int, Addition]) -> None:
    """Store `additions` by story id; a story that has one keeps it."""
    await insert_rows(
        conn,
        summaries,
        [
            {"article_id": story_id, "text": f"{found.outlet}\n{found.sentence}"}
            for story_id, found in additions.items()
        ],
        shared={"method": ADDITION_METHOD},
        skip_conflicts_on=("article_id", "method"),
    )
