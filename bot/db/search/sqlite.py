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
from itertools import combinations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.text import MAX_QUERY_CHARS, WORD_RE
from bot.db.search.base import (
    HIGHLIGHT_CLOSE,
    HIGHLIGHT_OPEN,
    EntryIndex,
    EntryText,
    Hit,
    HitPage,
    Hits,
    QuestionFilter,
    QuestionIndex,
    QuestionText,
    Search,
)

MAX_TERMS = 16  # phrases kept from one query
# bm25 weight of each column, in the order the table declares them.
ENTRY_WEIGHTS = "8.0, 6.0, 3.0, 4.0, 1.0"  # entries_fts: title, aliases, tags, summary, body
QUESTION_WEIGHTS = "8.0, 3.0, 5.0, 1.5"  # qa_fts: title, details, tags, answers
TITLE_WEIGHTS = "8.0, 5.0"  # qa_titles_fts: title, tags
ENTRY_SNIPPET_TOKENS = 20
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


def pairs_query(keywords: Sequence[str], common: frozenset[str] = frozenset()) -> str | None:
    """A MATCH expression for questions that share two of `keywords` (the one, if there is
    only one), looking at titles, details and tags; two `common` words are not a match.
    """
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
    return f"{SIMILAR_COLUMNS} : ({expression})"


def any_query(keywords: Sequence[str]) -> str:
    """A MATCH expression for any of `keywords` in titles, details and tags."""
    return f"{SIMILAR_COLUMNS} : (" + " OR ".join(quote(w) for w in keywords) + ")"


def _last_page(total: int, per_page: int, page: int) -> int:
    """`page`, or the last page of `total` matches when it is past the end."""
    return min(max(page, 1), max(1, math.ceil(total / per_page)))


# -- the learnings ----------------------------------------------------------------------------


class SqliteEntryIndex(EntryIndex):
    """`entries_fts`, ranked by bm25 with the title and aliases first."""

    async def put(self, session: AsyncSession, entry: EntryText) -> None:
        """Index a learning (its previous text, if any, is replaced)."""
        await self.remove(session, [entry.id])
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

    async def remove(self, session: AsyncSession, ids: Sequence[int]) -> None:
        """Forget the learnings `ids`."""
        for entry_id in ids:
            await session.execute(
                text("DELETE FROM entries_fts WHERE rowid = :id"), {"id": entry_id}
            )

    async def search(
        self,
        session: AsyncSession,
        query: str,
        *,
        kinds: Sequence[str] | None = None,
        limit: int,
        offset: int = 0,
    ) -> Hits:
        """Every word of `query`, else any of them; bm25-ranked, with snippets."""
        expression = fts_query(query)
        if expression is None:
            return Hits((), 0)
        found = await self._search(session, expression, kinds, limit, offset)
        if found.total == 0 and " " in expression:
            any_expression = fts_query(query, any_term=True)
            assert any_expression is not None
            found = await self._search(session, any_expression, kinds, limit, offset)
        return found

    async def _search(
        self,
        session: AsyncSession,
        expression: str,
        kinds: Sequence[str] | None,
        limit: int,
        offset: int,
    ) -> Hits:
        """How many learnings `expression` matches, and one page of them."""
        kind_filter = ""
        params: dict[str, object] = {
            "q": expression,
            "limit": limit,
            "offset": offset,
            "open": HIGHLIGHT_OPEN,
            "close": HIGHLIGHT_CLOSE,
        }
        if kinds:
            names = [f":k{i}" for i in range(len(kinds))]
            kind_filter = f" AND e.kind IN ({', '.join(names)})"
            params.update({f"k{i}": k for i, k in enumerate(kinds)})
        base = (
            "FROM entries_fts f JOIN entries e ON e.id = f.rowid "
            f"WHERE entries_fts MATCH :q{kind_filter}"
        )
        total = (await session.execute(text(f"SELECT count(*) {base}"), params)).scalar_one()
        rows = (
            await session.execute(
                text(
                    "SELECT f.rowid AS id, snippet(entries_fts, -1, :open, :close, '…', "
                    f"{ENTRY_SNIPPET_TOKENS}) AS snip, "
                    f"bm25(entries_fts, {ENTRY_WEIGHTS}) AS score "
                    f"{base} ORDER BY score LIMIT :limit OFFSET :offset"
                ),
                params,
            )
        ).all()
        return Hits(tuple(Hit(int(r.id), float(r.score), r.snip or "") for r in rows), int(total))


# -- the questions ----------------------------------------------------------------------------


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


class SqliteQuestionIndex(QuestionIndex):
    """`qa_fts` for searching and `qa_titles_fts` for autocomplete, rows in step."""

    async def put(self, session: AsyncSession, question: QuestionText) -> None:
        """Index a question in both tables (its previous text, if any, is replaced)."""
        await self.remove(session, [question.id])
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

    async def remove(self, session: AsyncSession, ids: Sequence[int]) -> None:
        """Forget the questions `ids` in both tables."""
        for question_id in ids:
            await session.execute(text("DELETE FROM qa_fts WHERE rowid = :id"), {"id": question_id})
            await session.execute(
                text("DELETE FROM qa_titles_fts WHERE rowid = :id"), {"id": question_id}
            )

    async def search(
        self,
        session: AsyncSession,
        query: str,
        where: QuestionFilter,
        *,
        window: int,
        page: int,
        per_page: int,
    ) -> HitPage:
        """Every word of `query`, else any of them; the words matched highlighted."""
        expression = fts_query(query)
        if expression is None:
            return HitPage((), 0, 1)
        found = await self._ranked(session, expression, expression, where, window, page, per_page)
        if found.total == 0 and " " in expression:
            any_expression = fts_query(query, any_term=True)
            assert any_expression is not None
            found = await self._ranked(
                session, any_expression, any_expression, where, window, page, per_page
            )
        return found

    async def suggest(
        self, session: AsyncSession, typed: str, where: QuestionFilter, *, window: int, limit: int
    ) -> list[int]:
        """Titles and tags only (what the choices show), from their own small index."""
        expression = prefix_query(typed)
        if expression is None:
            return []
        filters, params = _filters(where)
        base = (
            "FROM qa_titles_fts f CROSS JOIN qa_questions q ON q.id = f.rowid "
            f"WHERE qa_titles_fts MATCH :q AND q.guild_id = :guild{filters}"
        )
        matches = await session.execute(
            text(
                f"SELECT f.rowid AS id, bm25(qa_titles_fts, {TITLE_WEIGHTS}) AS score "
                f"{base} ORDER BY f.rowid DESC LIMIT :window"
            ),
            {**params, "q": expression, "window": window},
        )
        ranked = sorted(matches, key=lambda r: (float(r.score), -int(r.id)))
        return [int(r.id) for r in ranked[:limit]]

    async def similar(
        self,
        session: AsyncSession,
        keywords: Sequence[str],
        where: QuestionFilter,
        *,
        common: frozenset[str] = frozenset(),
        window: int,
        limit: int,
    ) -> list[Hit]:
        """Pairs of keywords in titles, details and tags; any keyword highlighted."""
        expression = pairs_query(keywords, common)
        if expression is None:
            return []
        found = await self._ranked(
            session, expression, any_query(keywords), where, window, 1, limit
        )
        return list(found.hits)

    async def count(self, session: AsyncSession, word: str) -> int:
        """Questions holding `word` anywhere, counted by the index."""
        counted = await session.scalar(
            text("SELECT count(*) FROM qa_fts WHERE qa_fts MATCH :q"), {"q": quote(word)}
        )
        return int(counted or 0)

    def similar_query(
        self, keywords: Sequence[str], common: frozenset[str] = frozenset()
    ) -> str | None:
        """The FTS5 expression `similar` matches with."""
        return pairs_query(keywords, common)

    def highlight_query(self, keywords: Sequence[str]) -> str:
        """The FTS5 expression `similar` highlights snippets with."""
        return any_query(keywords)

    async def _ranked(
        self,
        session: AsyncSession,
        expression: str,
        highlight: str,
        where: QuestionFilter,
        window: int,
        page: int,
        per_page: int,
    ) -> HitPage:
        """One page of the newest `window` matches, best first, with snippets of the words
        `highlight` matches; how many matches that window holds; the page (clamped).

        Walking the index newest first lets SQLite stop after `window` matches; ranking every
        match instead costs ~50 ms for a word found in 60,000 questions. The window is ranked
        and counted in SQL, and snippets are made for the page only: only the page comes back.
        """
        filters, params = _filters(where)
        base = (
            "FROM qa_fts f CROSS JOIN qa_questions q ON q.id = f.rowid "
            f"WHERE qa_fts MATCH :q AND q.guild_id = :guild{filters}"
        )
        newest = (
            f"SELECT f.rowid AS id, bm25(qa_fts, {QUESTION_WEIGHTS}) AS score {base} "
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
        values = {**params, "q": expression, "window": window}
        page = max(page, 1)
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
        self.entries = SqliteEntryIndex()
        self.questions = SqliteQuestionIndex()

    def has_terms(self, query: str) -> bool:
        """Whether `query` holds a word character to search for."""
        return fts_query(query) is not None
