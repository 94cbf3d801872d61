"""Everything that differs between SQLite and PostgreSQL: upserts, lists of values as one
parameter, and full-text search.

Full-text search runs over lemmas computed in Python (see migration 0002): an FTS5 table
`article_search` on SQLite, the tsvector column `articles.search` on PostgreSQL. A query is a
list of groups of lemmas: an article matches when it has every lemma of at least one group.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Float, Integer, Table, TextClause, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.selectable import TextualSelect

Groups = Sequence[Sequence[str]]

RANK_WINDOW = 1000  # newest matches ranked by relevance; older ones are out of reach of search

# bm25 weights of the FTS5 columns: a word in the title counts as much as four in the text.
SQLITE_WEIGHTS = "4.0, 1.0"


def insert(
    dialect: Dialect, table: Table, *, skip_conflicts_on: Sequence[str] = ()
) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table`; with `skip_conflicts_on`, rows that clash with an existing row on
    those unique columns are skipped."""
    statement = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)
    if skip_conflicts_on:
        return statement.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    return statement


def one_of(conn: AsyncConnection, column: ColumnElement, values: Sequence[Any]) -> ColumnElement:
    """`column IN values` with the values in one parameter: a JSON array on SQLite, an array on
    PostgreSQL. A lookup by thousands of values then costs no rendering of a placeholder for
    each (which took SQLAlchemy longer than the query)."""
    if conn.dialect.name == "postgresql":
        array = bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column == func.any(array)
    listed = func.json_each(bindparam(None, json.dumps(list(values)))).table_valued("value")
    return column.in_(select(listed.c.value))


def match_newest(conn: AsyncConnection, groups: Groups) -> TextualSelect:
    """Ids of matching articles, newest first. Params: before_id, limit."""
    if conn.dialect.name == "postgresql":
        sql = (
            f"SELECT id FROM articles WHERE search @@ ({_tsquery(groups)})"
            " AND id < :before_id ORDER BY id DESC LIMIT :limit"
        )
    else:
        sql = (
            "SELECT rowid AS id FROM article_search WHERE article_search MATCH :fts"
            " AND rowid < :before_id ORDER BY rowid DESC LIMIT :limit"
        )
    return _bind(conn, text(sql), groups).columns(id=Integer)


def match_ranked(conn: AsyncConnection, groups: Groups) -> TextualSelect:
    """Ids and ranks (lower is better) of the best matching article of each story, best first,
    newest first among equals, taken from the :read best matching articles. Stories ranked by
    their first article in a ranking of articles are a prefix of the stories of a longer one,
    so pages by offset (counting stories), each reading as far as it needs, show a story once.
    Only the RANK_WINDOW newest matches are ranked, so a word found in half the archive costs
    no more than a rare one. Params: limit, offset, read."""
    if conn.dialect.name == "postgresql":
        query = _tsquery(groups)
        ranked = (
            f"WITH recent AS (SELECT id, story_id, search FROM articles WHERE search @@ ({query})"
            f" ORDER BY id DESC LIMIT {RANK_WINDOW}),"
            f" ranked AS (SELECT id, story_id, -ts_rank(search, {query}) AS rank FROM recent"
            " ORDER BY rank, id DESC LIMIT :read)"
        )
    else:
        # The story is looked up for the articles read only: it is the last column of long rows.
        ranked = (
            f"WITH matched AS (SELECT rowid AS id, bm25(article_search, {SQLITE_WEIGHTS}) AS rank"
            " FROM article_search WHERE article_search MATCH :fts AND rowid >= ("
            " SELECT coalesce(min(rowid), 0) FROM (SELECT rowid FROM article_search"
            f" WHERE article_search MATCH :fts ORDER BY rowid DESC LIMIT {RANK_WINDOW}))"
            " ORDER BY rank, rowid DESC LIMIT :read),"
            " ranked AS (SELECT matched.id, articles.story_id, matched.rank FROM matched"
            " JOIN articles ON articles.id = matched.id)"
        )
    # An article without a story (an archive being upgraded) is a story of its own.
    sql = ranked + (
        ", best AS (SELECT id, rank, row_number() OVER (PARTITION BY coalesce(story_id, -id)"
        " ORDER BY rank, id DESC) AS nth FROM ranked)"
        " SELECT id, rank FROM best WHERE nth = 1"
        " ORDER BY rank, id DESC LIMIT :limit OFFSET :offset"
    )
    return _bind(conn, text(sql), groups).columns(id=Integer, rank=Float)


def match_among(conn: AsyncConnection, groups: Groups, ids: Sequence[int]) -> TextualSelect:
    """Ids of the matching articles among `ids`."""
    if conn.dialect.name == "postgresql":
        sql = (
            "SELECT id FROM articles WHERE id = ANY(CAST(:ids AS integer[]))"
            f" AND search @@ ({_tsquery(groups)})"
        )
        listed: BindParameter[list[int] | str] = bindparam("ids", list(ids))
    else:
        sql = (
            "SELECT rowid AS id FROM article_search WHERE article_search MATCH :fts"
            " AND rowid IN (SELECT value FROM json_each(:ids))"
        )
        listed = bindparam("ids", json.dumps(list(ids)))
    return _bind(conn, text(sql).bindparams(listed), groups).columns(id=Integer)


def _bind(conn: AsyncConnection, clause: TextClause, groups: Groups) -> TextClause:
    if conn.dialect.name == "postgresql":
        params = {f"g{index}": " ".join(group) for index, group in enumerate(groups)}
        return clause.bindparams(*(bindparam(name, value) for name, value in params.items()))
    return clause.bindparams(fts=_fts5_query(groups))


def _tsquery(groups: Groups) -> str:
    # plainto_tsquery ANDs the words of a group; || ORs the groups.
    return " || ".join(f"plainto_tsquery('simple', :g{index})" for index in range(len(groups)))


def _fts5_query(groups: Groups) -> str:
    # Every lemma is a quoted string, so no user input is read as FTS5 syntax.
    def quoted(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'

    return " OR ".join("(" + " ".join(quoted(word) for word in group) + ")" for group in groups)


def hour_of(conn: AsyncConnection, column: ColumnElement) -> ColumnElement[str]:
    """The hour of a stored (UTC) time as 'YYYY-MM-DD HH', for counts per hour."""
    if conn.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def shared_keys(conn: AsyncConnection, wanted: Sequence[tuple[int, str, int, int]]) -> TextClause:
    """For each (n, key, first hour, last hour) of `wanted`: the stories indexed under that
    key within those hours, counted per n and story; rows (n, story_id, shared) of the
    :most stories sharing the most keys with n (the oldest first among equals), each sharing
    at least :min_shared. One statement for a whole batch, which returns only those."""
    if conn.dialect.name == "postgresql":
        columns = list(zip(*wanted, strict=True)) if wanted else [(), (), (), ()]
        source = (
            "unnest(CAST(:ns AS integer[]), CAST(:keys AS varchar[]), CAST(:los AS integer[]),"
            " CAST(:his AS integer[])) AS w(n, key, lo, hi)"
        )
        names = ("ns", "keys", "los", "his")
        params: list[BindParameter[list[int | str] | str]] = [
            bindparam(name, list(got)) for name, got in zip(names, columns, strict=True)
        ]
    else:
        source = (
            "(SELECT json_extract(value, '$[0]') AS n, json_extract(value, '$[1]') AS key,"
            " json_extract(value, '$[2]') AS lo, json_extract(value, '$[3]') AS hi"
            " FROM json_each(:wanted)) AS w"
        )
        params = [bindparam("wanted", json.dumps(list(wanted)))]
    sql = (
        "SELECT n, story_id, shared FROM (SELECT w.n, k.story_id, count(DISTINCT k.key) AS"
        " shared, row_number() OVER (PARTITION BY w.n ORDER BY count(DISTINCT k.key) DESC,"
        f" k.story_id) AS place FROM {source}"
        " JOIN story_keys AS k ON k.key = w.key AND k.hour BETWEEN w.lo AND w.hi"
        " GROUP BY w.n, k.story_id HAVING count(DISTINCT k.key) >= :min_shared) AS found"
        " WHERE place <= :most"
    )
    return text(sql).bindparams(*params)
