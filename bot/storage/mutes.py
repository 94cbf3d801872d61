"""What a chat hides: muted words (lemmas, matched like keyword subscriptions), muted outlets
(article_sources.name) and advertising (hidden unless the chat shows it), and the one test
of a story against them that /latest, /top, digests and pushes share. The caller owns the
transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import dialect
from bot.storage.articles import ArticleView
from bot.storage.schema import articles, chats, mutes

WORD = "word"
SOURCE = "source"


@dataclass(frozen=True, slots=True)
class Mute:
    id: int
    kind: str  # WORD | SOURCE
    value: str  # the word's lemmas joined by " ", or the outlet's name
    label: str


@dataclass(frozen=True, slots=True)
class Hidden:
    """A chat's mutes as matching needs them."""

    words: tuple[str, ...] = ()  # lemmas joined by " "
    sources: frozenset[str] = frozenset()
    show_ads: bool = False

    def hides_outlets(self, outlets: Collection[str]) -> bool:
        """Whether every one of `outlets` (a story's, or an article's) is muted."""
        return bool(outlets) and bool(self.sources) and self.sources.issuperset(outlets)

    def hides_words(self, lemmas: frozenset[str]) -> bool:
        """Whether a text with these lemmas has every lemma of a muted word."""
        return any(lemmas.issuperset(word.split()) for word in self.words)

    def hides(self, advert: bool, outlets: Collection[str], lemmas: frozenset[str]) -> bool:
        """Whether an article (or a story's representative) is hidden, given its lemmas."""
        return (
            (advert and not self.show_ads)
            or self.hides_outlets(outlets)
            or self.hides_words(lemmas)
        )


NOTHING_HIDDEN_BUT_ADS = Hidden()


async def add(conn: AsyncConnection, chat_id: int, kind: str, value: str, label: str) -> bool:
    """Mute for a chat; False when it was muted already."""
    statement = dialect.insert(conn.dialect, mutes).values(
        chat_id=chat_id, kind=kind, value=value, label=label
    )
    return (await conn.execute(statement.on_conflict_do_nothing())).rowcount > 0


async def remove(conn: AsyncConnection, chat_id: int, kind: str, value: str) -> bool:
    result = await conn.execute(
        delete(mutes).where(
            mutes.c.chat_id == chat_id, mutes.c.kind == kind, mutes.c.value == value
        )
    )
    return result.rowcount > 0


async def remove_by_id(conn: AsyncConnection, chat_id: int, mute_id: int) -> bool:
    """Remove one mute of this chat; another chat's id removes nothing."""
    result = await conn.execute(
        delete(mutes).where(mutes.c.id == mute_id, mutes.c.chat_id == chat_id)
    )
    return result.rowcount > 0


async def listed(conn: AsyncConnection, chat_id: int) -> list[Mute]:
    query = (
        select(mutes.c.id, mutes.c.kind, mutes.c.value, mutes.c.label)
        .where(mutes.c.chat_id == chat_id)
        .order_by(mutes.c.id)
    )
    return [Mute(*row) for row in await conn.execute(query)]


async def count(conn: AsyncConnection, chat_id: int) -> int:
    return (await conn.execute(select(func.count()).where(mutes.c.chat_id == chat_id))).scalar_one()


async def hidden_for(conn: AsyncConnection, chat_id: int) -> Hidden:
    """What the chat hides (an unknown chat: advertising only)."""
    rows = (await conn.execute(_HIDDEN, {"chat_id": chat_id})).all()
    if not rows:
        return NOTHING_HIDDEN_BUT_ADS
    return _hidden(rows[0][0], [(kind, value) for _, kind, value in rows if kind is not None])


async def hidden_for_chats(conn: AsyncConnection, chat_ids: Sequence[int]) -> dict[int, Hidden]:
    """What each of the chats hides, for a whole audience at once."""
    if not chat_ids:
        return {}
    show = dict(
        (await conn.execute(
            select(chats.c.id, chats.c.show_ads).where(dialect.one_of(conn, chats.c.id, chat_ids))
        )).all()
    )  # fmt: skip
    muted: dict[int, list[tuple[str, str]]] = {}
    rows = await conn.execute(
        select(mutes.c.chat_id, mutes.c.kind, mutes.c.value).where(
            dialect.one_of(conn, mutes.c.chat_id, chat_ids)
        )
    )
    for chat_id, kind, value in rows:
        muted.setdefault(chat_id, []).append((kind, value))
    return {
        chat_id: _hidden(show.get(chat_id, False), muted.get(chat_id, [])) for chat_id in chat_ids
    }


def _hidden(show_ads: bool, pairs: Sequence[tuple[str, str]]) -> Hidden:
    return Hidden(
        words=tuple(value for kind, value in pairs if kind == WORD),
        sources=frozenset(value for kind, value in pairs if kind == SOURCE),
        show_ads=bool(show_ads),
    )


_LEMMAS_OF = select(articles.c.id, articles.c.title_lemmas, articles.c.text_lemmas).where(
    articles.c.id.in_(bindparam("ids", expanding=True))
)
_HIDDEN = (
    select(chats.c.show_ads, mutes.c.kind, mutes.c.value)
    .outerjoin(mutes, mutes.c.chat_id == chats.c.id)
    .where(chats.c.id == bindparam("chat_id"))
)


async def visible(
    conn: AsyncConnection,
    views: Sequence[ArticleView],
    hidden: Hidden,
    *,
    checked: Collection[int] = (),
) -> list[ArticleView]:
    """`views` without those the chat hides: advertising (unless shown), those matching a
    muted word, and those whose outlets are all muted (a story's: every outlet that told it;
    an article not told as a story yet: its own). Articles in `checked` passed the words
    already and are not looked up again."""
    unchecked = [view.id for view in views if view.id not in checked]
    matched: set[int] = set()
    if hidden.words and unchecked:
        # Lemmas read by primary key and compared here: a full-text MATCH would first find
        # every article with a common word ("выборы") in the whole archive.
        rows = await conn.execute(_LEMMAS_OF, {"ids": unchecked})
        matched = {
            article_id
            for article_id, title, text in rows
            if hidden.hides_words(frozenset(f"{title} {text}".split()))
        }
    return [
        view
        for view in views
        if view.id not in matched
        and not (view.advert and not hidden.show_ads)
        and not hidden.hides_outlets(outlets_of(view))
    ]


def outlets_of(view: ArticleView) -> set[str]:
    if view.sources:
        return {source.outlet for source in view.sources}
    return {view.source_name} if view.source_name else set()
