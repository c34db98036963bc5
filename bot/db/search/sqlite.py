"""Full-text search in SQLite: FTS5 tables kept in step with the rows they index.

The tables are created by the migrations: `entries_fts` (rowid = the learning's id), `qa_fts`
(rowid = the question's id: its title, details, tags and all its answers' text) and
`qa_titles_fts` (titles and tags only, with prefix indexes: what autocomplete searches).

Free text only ever becomes quoted phrases of word characters (`fts_query`), so FTS5 operators,
quotes, `*`, `-`, `:` and parentheses typed by members are searched as text, never obeyed.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations
from typing import Any

from sqlalchemy import Float, Integer, Row, Select, TextClause, column, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.text import MAX_QUERY_CHARS, WORD_RE
from bot.db.search.base import (
    HIGHLIGHT_CLOSE,
    HIGHLIGHT_OPEN,
    EntryIndex,
    EntryPage,
    EntryText,
    Hit,
    HitPage,
    Hits,
    QuestionFilter,
    QuestionIndex,
    QuestionText,
    Ranking,
    Search,
)

MAX_TERMS = 16  # phrases kept from one query
# bm25 weight of each column, in the order the table declares them.
ENTRY_WEIGHTS = "8.0, 6.0, 3.0, 4.0, 1.0"  # entries_fts: title, aliases, tags, summary, body
QUESTION_WEIGHTS = "8.0, 3.0, 5.0, 1.5"  # qa_fts: title, details, tags, answers
TITLE_WEIGHTS = "8.0, 5.0"  # qa_titles_fts: title, tags
ENTRY_SNIPPET_TOKENS = 20
ENTRY_SNIPPET_COLUMN = 4  # entries_fts's body
# From the body: the title is shown above it, the aliases are a list.
ENTRY_SNIPPET = (
    f"snippet(entries_fts, {ENTRY_SNIPPET_COLUMN}, :open, :close, '…', {ENTRY_SNIPPET_TOKENS})"
)
QUESTION_SNIPPET_TOKENS = 16
SIMILAR_COLUMNS = "{title details tags}"  # what /ask compares a draft with (not the answers)


# -- free text to MATCH expressions (pure) ----------------------------------------------------


def quote(word: str) -> str:
    """One FTS5 string: `celery` -> `"celery"` (a quote inside is doubled, never an operator)."""
    return '"' + word.replace('"', '""') + '"'


def fts_query(raw: str, *, any_term: bool = False) -> str | None:
    """A MATCH expression built from free text, or None when there is nothing to find.

    Every whitespace-separated term becomes a quoted phrase of its word characters, so FTS5
    operators, quotes, `*`, `-`, `:` and parentheses in user input are only ever text:
    `c++` -> "c", `node.js` -> "node js", `ci/cd` -> "ci cd", `NOT` -> "NOT".
    """
    phrases: list[str] = []
    for chunk in raw[:MAX_QUERY_CHARS].split():
        words = WORD_RE.findall(unicodedata.normalize("NFKC", chunk))
        if words:
            phrase = quote(" ".join(words))
            if phrase not in phrases:
                phrases.append(phrase)
        if len(phrases) >= MAX_TERMS:
            break
    if not phrases:
        return None
    return (" OR " if any_term else " ").join(phrases)


def prefix_query(raw: str) -> str | None:
    """A MATCH expression for text being typed: the last word may be unfinished."""
    expression = fts_query(raw)
    if expression is None:
        return None
    return f"{expression}*" if not raw[-1:].isspace() else expression


def pairs_query(
    keywords: Sequence[str], common: frozenset[str] = frozenset(), *, titles: bool = False
) -> str | None:
    """A MATCH expression for questions that share two of `keywords` (the one, if there is
    only one), looking at titles, details and tags (`qa_fts`), or with `titles` at every
    column of `qa_titles_fts` (its titles and tags: no column filter, which costs FTS5 a
    look at every position); two `common` words are not a match.
    """
    keywords = _words(keywords)
    if not keywords:
        return None
    quoted = {word: quote(word) for word in keywords}
    if len(keywords) == 1:
        expression = quoted[keywords[0]]
    else:
        pairs = [
            f"({quoted[a]} {quoted[b]})"
            for a, b in combinations(keywords, 2)
            if a not in common or b not in common
        ]
        if not pairs:
            return None
        expression = " OR ".join(pairs)
    return expression if titles else f"{SIMILAR_COLUMNS} : ({expression})"


def any_query(keywords: Sequence[str]) -> str:
    """A MATCH expression for any of `keywords` in titles, details and tags."""
    keywords = _words(keywords) or ["_"]
    return f"{SIMILAR_COLUMNS} : (" + " OR ".join(quote(w) for w in keywords) + ")"


def _words(keywords: Sequence[str]) -> list[str]:
    """Each keyword's word characters (a keyword of none is left out), NFKC-read."""
    found = (WORD_RE.findall(unicodedata.normalize("NFKC", k)) for k in keywords)
    return [" ".join(words) for words in found if words]


def _last_page(total: int, per_page: int, page: int) -> int:
    """`page`, or the last page of `total` matches when it is past the end."""
    return min(max(page, 1), max(1, math.ceil(total / per_page)))


# -- the indexes ------------------------------------------------------------------------------


class FtsTables:
    """What the FTS5 indexes share: tables holding one row per indexed row, under its id (the
    table's rowid), and queries of quoted phrases.
    """

    tables: tuple[str, ...]

    async def remove(self, session: AsyncSession, ids: Sequence[int]) -> None:
        """Forget the rows `ids` in every table of the index."""
        for row_id in ids:
            for table in self.tables:
                delete = text(f"DELETE FROM {table} WHERE rowid = :id")  # noqa: S608
                await session.execute(delete, {"id": row_id})

    async def purge(self, session: AsyncSession) -> None:
        """Merge every table's segments into one: a removed row's words are in no segment."""
        for table in self.tables:
            optimize = text(f"INSERT INTO {table}({table}) VALUES ('optimize')")  # noqa: S608
            await session.execute(optimize)

    def match(self, query: str, *, any_term: bool = False) -> str | None:
        """A MATCH expression of quoted phrases (`fts_query`)."""
        return fts_query(query, any_term=any_term)


class SqliteEntryIndex(FtsTables, EntryIndex):
    """`entries_fts`, ranked by bm25 with the title and aliases first."""

    tables = ("entries_fts",)

    async def _add(self, session: AsyncSession, entry: EntryText) -> None:
        """A row of `entries_fts`, its lists as words."""
        await session.execute(
            text(
                "INSERT INTO entries_fts (rowid, title, aliases, tags, summary, body) "
                "VALUES (:id, :title, :aliases, :tags, :summary, :body)"
            ),
            {
                "id": entry.id,
                "title": entry.title,
                "aliases": " ".join(entry.aliases),
                "tags": " ".join(entry.tags),
                "summary": entry.summary,
                "body": entry.body,
            },
        )

    async def rebuild(self, session: AsyncSession) -> None:
        """`entries_fts` anew from `entries`, its lists as words."""
        await session.execute(text("DELETE FROM entries_fts"))
        await session.execute(
            text(
                "INSERT INTO entries_fts (rowid, title, aliases, tags, summary, body) "  # noqa: S608
                f"SELECT e.id, e.title, {_words_of('e.aliases')}, {_words_of('e.tags')}, "
                "e.summary, e.body FROM entries e"
            )
        )

    async def _page(self, session: AsyncSession, match: str, page: EntryPage) -> Hits:
        """Counted (when asked), then bm25-ranked, with snippets (when asked)."""
        kind_filter = ""
        params: dict[str, object] = {
            "q": match,
            "limit": page.limit,
            "offset": page.offset,
            "open": HIGHLIGHT_OPEN,
            "close": HIGHLIGHT_CLOSE,
        }
        if page.kinds:
            names = [f":k{i}" for i in range(len(page.kinds))]
            kind_filter = f" AND e.kind IN ({', '.join(names)})"
            params.update({f"k{i}": k for i, k in enumerate(page.kinds)})
        # The entry's row is read only to filter by kind.
        joined = " JOIN entries e ON e.id = f.rowid" if kind_filter else ""
        base = f"FROM entries_fts f{joined} WHERE entries_fts MATCH :q{kind_filter}"
        total = (
            (await session.execute(text(f"SELECT count(*) {base}"), params)).scalar_one()
            if page.counted
            else None
        )
        snip = f"{ENTRY_SNIPPET} AS snip" if page.snippets else "'' AS snip"
        rows = (
            await session.execute(
                text(
                    f"SELECT f.rowid AS id, {snip}, bm25(entries_fts, {ENTRY_WEIGHTS}) AS score "
                    f"{base} ORDER BY score LIMIT :limit OFFSET :offset"
                ),
                params,
            )
        ).all()
        hits = tuple(Hit(int(r.id), float(r.score), r.snip or "") for r in rows)
        return Hits(hits, len(hits) if total is None else int(total))

    async def _snippets(
        self, session: AsyncSession, match: str, ids: Sequence[int]
    ) -> dict[int, str]:
        """`snippet()` for the rows `ids` only: the costly part of a search, for those shown."""
        names = [f":i{n}" for n in range(len(ids))]
        params: dict[str, object] = {"q": match, "open": HIGHLIGHT_OPEN, "close": HIGHLIGHT_CLOSE}
        params.update({f"i{n}": row_id for n, row_id in enumerate(ids)})
        rows = await session.execute(
            text(
                f"SELECT rowid AS id, {ENTRY_SNIPPET} AS snip FROM entries_fts "  # noqa: S608
                f"WHERE entries_fts MATCH :q AND rowid IN ({', '.join(names)})"
            ),
            params,
        )
        return {int(r.id): r.snip or "" for r in rows}


def _words_of(column: str) -> str:
    """A JSON list of words (`column`) as the index holds it: the words, space-separated."""
    words = f"SELECT group_concat(value, ' ') FROM json_each({column})"  # noqa: S608
    return f"coalesce(({words}), '')"


def _questions(filters: str) -> str:
    """`qa_questions q` for joining full-text matches to their questions: through the index
    that holds what the join reads (ix_qa_questions_search, migration 0016), a few hundred
    questions a page, rather than the table's pages of whole questions, unless `filters` reads
    the tags. SQLite picks the table's own key otherwise.
    """
    if "q.tags" in filters:
        return "qa_questions q"
    return "qa_questions q INDEXED BY ix_qa_questions_search"


def _filters(where: QuestionFilter) -> tuple[str, dict[str, object]]:
    """SQL conditions on `q` (qa_questions) and their parameters, beyond the server's."""
    filters = ""
    params: dict[str, object] = {"guild": where.guild_id}
    if where.tag is not None:
        filters += " AND EXISTS (SELECT 1 FROM json_each(q.tags) t WHERE t.value = :tag)"
        params["tag"] = where.tag
    answered = "EXISTS (SELECT 1 FROM qa_answers a WHERE a.question_id = q.id)"
    if where.answered is True:
        filters += f" AND {answered}"
    elif where.answered is False:
        filters += f" AND NOT {answered}"
    if where.unaccepted:
        filters += " AND q.accepted_answer_id IS NULL"
    return filters, params


@lru_cache(maxsize=32)
def _titles_ranked(filters: str) -> TextClause:
    """From `qa_titles_fts`, the small index of what the choices show: the page's ids and
    scores, best first, for the questions `filters` (`_filters`) keeps. Built once for each
    filter, as every keystroke asks it.
    """
    base = (
        f"FROM qa_titles_fts f CROSS JOIN {_questions(filters)} ON q.id = f.rowid "
        f"WHERE qa_titles_fts MATCH :q AND q.guild_id = :guild{filters}"
    )
    newest = (
        f"SELECT f.rowid AS id, bm25(qa_titles_fts, {TITLE_WEIGHTS}) AS score "
        f"{base} ORDER BY f.rowid DESC LIMIT :window"
    )
    return text(f"SELECT id, score FROM ({newest}) ORDER BY score, id DESC LIMIT :limit")  # noqa: S608


@lru_cache(maxsize=32)
def _title_rows_of(filters: str, read: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """`_titles_ranked`'s page joined to `read`'s columns of its questions, in its order."""
    ranked = _titles_ranked(filters)
    page = ranked.columns(column("id", Integer), column("score", Float)).subquery("page")
    return read.join(page, read.selected_columns.id == page.c.id).order_by(
        page.c.score, page.c.id.desc()
    )


class SqliteQuestionIndex(FtsTables, QuestionIndex):
    """`qa_fts` for searching and `qa_titles_fts` for autocomplete, rows in step."""

    tables = ("qa_fts", "qa_titles_fts")

    async def _add(self, session: AsyncSession, question: QuestionText) -> None:
        """A row in both tables; the answers' text in `qa_fts` only."""
        tags = " ".join(question.tags)
        await session.execute(
            text("INSERT INTO qa_titles_fts (rowid, title, tags) VALUES (:id, :title, :tags)"),
            {"id": question.id, "title": question.title, "tags": tags},
        )
        await session.execute(
            text(
                "INSERT INTO qa_fts (rowid, title, details, tags, answers) "
                "VALUES (:id, :title, :details, :tags, :answers)"
            ),
            {
                "id": question.id,
                "title": question.title,
                "details": question.details,
                "tags": tags,
                "answers": "\n\n".join(question.answers),
            },
        )

    async def rebuild(self, session: AsyncSession) -> None:
        """Both tables anew from the questions and their answers (in the order given)."""
        for table in self.tables:
            await session.execute(text(f"DELETE FROM {table}"))  # noqa: S608
        await session.execute(
            text(
                "INSERT INTO qa_titles_fts (rowid, title, tags) "  # noqa: S608
                f"SELECT q.id, q.title, {_words_of('q.tags')} FROM qa_questions q"
            )
        )
        await session.execute(
            text(
                "INSERT INTO qa_fts (rowid, title, details, tags, answers) "  # noqa: S608
                f"SELECT q.id, q.title, q.details, {_words_of('q.tags')}, "
                "coalesce((SELECT group_concat(body, char(10) || char(10)) FROM "
                "(SELECT a.body FROM qa_answers a WHERE a.question_id = q.id ORDER BY a.id)), '') "
                "FROM qa_questions q"
            )
        )

    async def word_counts(self, session: AsyncSession, words: Sequence[str]) -> list[int]:
        """Questions holding each word (its word characters) anywhere, counted by the index,
        every word in one statement (one trip to the connection's thread).
        """
        parts: list[str] = []
        params: dict[str, object] = {}
        for n, word in enumerate(words):
            found = _words([word])
            if found:
                parts.append(f"(SELECT count(*) FROM qa_fts WHERE qa_fts MATCH :w{n})")  # noqa: S608
                params[f"w{n}"] = quote(found[0])
            else:
                parts.append("0")
        if not params:
            return [0] * len(words)
        row = (await session.execute(text("SELECT " + ", ".join(parts)), params)).one()
        return [int(counted or 0) for counted in row]

    def similar_query(
        self, keywords: Sequence[str], common: frozenset[str] = frozenset(), *, titles: bool = False
    ) -> str | None:
        """The FTS5 expression `similar` matches with (`qa_titles_fts`'s, with `titles`)."""
        return pairs_query(keywords, common, titles=titles)

    def highlight_query(self, keywords: Sequence[str]) -> str:
        """The FTS5 expression `similar` highlights snippets with."""
        return any_query(keywords)

    def _prefix_match(self, typed: str) -> str | None:
        """The last phrase a prefix (`prefix_query`)."""
        return prefix_query(typed)

    async def _titles(self, session: AsyncSession, match: str, ranking: Ranking) -> list[int]:
        filters, params = _filters(ranking.where)
        values = {**params, "q": match, "window": ranking.window, "limit": ranking.per_page}
        return [int(row.id) for row in await session.execute(_titles_ranked(filters), values)]

    async def _title_rows(
        self, session: AsyncSession, match: str, ranking: Ranking, read: Select[*tuple[Any, ...]]
    ) -> list[Row[Any]]:
        """One statement: the page ranked, and `read`'s columns of its questions joined to it
        (one trip to the database instead of two).
        """
        filters, params = _filters(ranking.where)
        values = {**params, "q": match, "window": ranking.window, "limit": ranking.per_page}
        return list(await session.execute(_title_rows_of(filters, read), values))

    async def _ranked(
        self,
        session: AsyncSession,
        match: str,
        highlight: str,
        ranking: Ranking,
        *,
        titles: bool = False,
    ) -> HitPage:
        """From `qa_fts` (`qa_titles_fts` with `titles`): the window ranked and counted in
        SQL, snippets (of `qa_fts`'s text) for the page only.

        Walking the index newest first lets SQLite stop after `window` matches; ranking every
        match instead costs ~50 ms for a word found in 60,000 questions. Only the page comes
        back.
        """
        filters, params = _filters(ranking.where)
        table, weights = (
            ("qa_titles_fts", TITLE_WEIGHTS) if titles else ("qa_fts", QUESTION_WEIGHTS)
        )
        base = (
            f"FROM {table} f CROSS JOIN {_questions(filters)} ON q.id = f.rowid "
            f"WHERE {table} MATCH :q AND q.guild_id = :guild{filters}"
        )
        newest = (
            f"SELECT f.rowid AS id, bm25({table}, {weights}) AS score {base} "
            "ORDER BY f.rowid DESC LIMIT :window"
        )
        # Statements are put together from the constants above and placeholders only: every
        # value, the MATCH expression included, is a bound parameter.
        shown = (
            f"SELECT id, score, count(*) OVER () AS total FROM ({newest}) "  # noqa: S608
            "ORDER BY score, id DESC LIMIT :limit OFFSET :offset"
        )
        statement = text(
            f"WITH shown AS ({shown}) SELECT id, score, total, "  # noqa: S608
            "(SELECT snippet(qa_fts, -1, :open, :close, '…', "
            f"{QUESTION_SNIPPET_TOKENS}) FROM qa_fts "
            "WHERE qa_fts MATCH :snip AND qa_fts.rowid = shown.id) AS snip "
            "FROM shown ORDER BY score, id DESC"
        )
        values = {**params, "q": match, "window": ranking.window}
        per_page, page = ranking.per_page, max(ranking.page, 1)
        for _ in range(2):
            rows = (
                await session.execute(
                    statement,
                    {
                        **values,
                        "snip": highlight,
                        "open": HIGHLIGHT_OPEN,
                        "close": HIGHLIGHT_CLOSE,
                        "limit": per_page,
                        "offset": (page - 1) * per_page,
                    },
                )
            ).all()
            if rows or page == 1:
                break
            # Past the last page: count the matches and show the last page instead.
            count = text(f"SELECT count(*) FROM ({newest})")  # noqa: S608
            total = await session.scalar(count, values)
            page = _last_page(int(total or 0), per_page, page)
        hits = tuple(Hit(int(r.id), float(r.score), r.snip or "") for r in rows)
        return HitPage(hits, int(rows[0].total) if rows else 0, page)


class SqliteSearch(Search):
    """Full-text search of a SQLite database, by FTS5."""

    def __init__(self) -> None:
        super().__init__(SqliteEntryIndex(), SqliteQuestionIndex())

    async def merge_step(self, session: AsyncSession, pages: int) -> bool:
        """Merge each FTS5 table's segments by about `pages` pages toward one segment.

        Rows written one at a time leave an index in many segments, and every lookup seeks
        each of them: on 100,000 questions in 7 segments, one `MATCH ... AND rowid = ?` (a
        snippet) took 0.54 ms, and 0.05 ms in one. FTS5's incremental 'merge' with a negative
        size merges every level, as few as two segments at a time; when `total_changes()`
        moves by less than 2, there was nothing left to merge.
        """
        worked = False
        changes = text("SELECT total_changes()")
        for table in (*SqliteEntryIndex.tables, *SqliteQuestionIndex.tables):
            merge = text(f"INSERT INTO {table}({table}, rank) VALUES ('merge', :pages)")  # noqa: S608
            before = int(await session.scalar(changes) or 0)
            await session.execute(merge, {"pages": -pages})
            worked |= int(await session.scalar(changes) or 0) - before >= 2
        return worked
