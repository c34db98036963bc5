"""Full-text search in PostgreSQL: weighted `tsvector` columns, GIN indexes, `ts_headline`.

The tables are created by the migrations: `entries_search` (id = the learning's id; its
`document` weighs the title and aliases above the summary, the tags and the body) and
`qa_search` (id = the question's id; `document` holds its answers too, `topic` what `/ask`
compares a draft with, `heading` the title and tags that autocomplete searches, and a trigram
index on the title for typing with typos). Each tsvector is generated from the text by the
database, punctuation read as spaces (`node.js` is `node` and `js`, as on SQLite).

Free text never reaches a query parser: a query is kept as phrases of word characters
(`bot.db.search.tsquery`), and each phrase is a bound parameter of `phraseto_tsquery`, so
quotes, `&`, `|`, `!`, `:*` and parentheses typed by members are only ever text. Scores are
negated (lower is better, as the interface ranks): FTS5's own bm25 for the learnings and the
questions, computed in SQL (`bot.db.search.ranking`), so that a database copied from SQLite
ranks as it did there; ts_rank for the titles autocomplete shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

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
from bot.db.search.ranking import (
    ENTRY_BYTES,
    HEADING_BYTES,
    HEADING_TOKENS,
    QUESTION_BYTES,
    ROW_TOKENS,
    Counts,
    bm25_scores,
    entry_weights,
    question_weights,
)
from bot.db.search.tsquery import (
    CONFIG,
    Query,
    any_query,
    pairs_query,
    phrases,
    prefix_query,
    text_query,
    whole_words,
)

# ts_rank's weights of D, C, B, A: body/answers, tags/details, summary/tags, title/aliases
# (the titles' autocomplete, and the raw ts_rank floors of bench/postgres.py).
ENTRY_WEIGHTS = "{0.1, 0.3, 0.5, 1.0}"
QUESTION_WEIGHTS = "{0.15, 0.3, 0.6, 1.0}"
ENTRY_SNIPPET_WORDS = 20
QUESTION_SNIPPET_WORDS = 16


def _headline_options(words: int, fragments: int = 1) -> str:
    """ts_headline's options: about `words` words, matches between the marks; in one fragment
    around the matches, or (`fragments` 0) the best stretch of the text from a word boundary.
    """
    return (
        f"StartSel={HIGHLIGHT_OPEN}, StopSel={HIGHLIGHT_CLOSE}, MaxWords={words}, "
        f"MinWords={max(words // 2, 1)}, ShortWord=2, MaxFragments={fragments}"
    )


def _last_page(total: int, per_page: int, page: int) -> int:
    """`page`, or the last page of `total` matches when it is past the end."""
    return min(max(page, 1), max(1, math.ceil(total / per_page)))


def _ids(ids: Sequence[int]) -> tuple[str, dict[str, Any]]:
    """`(:i0, :i1, ...)` and its parameters."""
    names = [f":i{n}" for n in range(len(ids))]
    return "(" + ", ".join(names) + ")", {f"i{n}": int(i) for n, i in enumerate(ids)}


# -- the indexes ------------------------------------------------------------------------------


class SearchTable:
    """What both indexes share: one table of text per indexed row, under its id."""

    table: str

    async def remove(self, session: AsyncSession, ids: Sequence[int]) -> None:
        """Forget the rows `ids`."""
        if not ids:
            return
        listed, params = _ids(ids)
        delete = text(f"DELETE FROM {self.table} WHERE id IN {listed}")  # noqa: S608
        await session.execute(delete, params)

    async def purge(self, session: AsyncSession) -> None:
        """Nothing to rewrite: a deleted row's text leaves the table and its index with it
        (VACUUM reclaims the space; the text is in no live row).
        """

    def match(self, query: str, *, any_term: bool = False) -> str | None:
        """Phrases of word characters (`text_query`)."""
        return text_query(query, any_term=any_term)


class PostgresEntryIndex(SearchTable, EntryIndex):
    """`entries_search`, ranked by FTS5's bm25 with the title and aliases first."""

    table = "entries_search"

    def __init__(self) -> None:
        self.counts = Counts(self.table, (ROW_TOKENS, ENTRY_BYTES))

    async def remove(self, session: AsyncSession, ids: Sequence[int]) -> None:
        """Forget the rows `ids` (and the phrase counts, which change with them)."""
        self.counts.forget()
        await super().remove(session, ids)

    async def _add(self, session: AsyncSession, entry: EntryText) -> None:
        """A row of `entries_search`, its lists as words."""
        await session.execute(
            text(
                "INSERT INTO entries_search (id, title, aliases, tags, summary, body) "
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
        """`entries_search` anew from `entries`, its lists as words."""
        self.counts.forget()
        await session.execute(text("DELETE FROM entries_search"))
        await session.execute(
            text(
                "INSERT INTO entries_search (id, title, aliases, tags, summary, body) "  # noqa: S608
                f"SELECT e.id, e.title, {_words_of('e.aliases')}, {_words_of('e.tags')}, "
                "e.summary, e.body FROM entries e"
            )
        )

    async def _page(self, session: AsyncSession, match: str, page: EntryPage) -> Hits:
        """Counted, then ranked by FTS5's bm25 (`bm25_scores`), with snippets of the body."""
        query = Query.decode(match)
        tsquery, params = query.sql("q")
        shown, more = query.sql("h", spelled=True)
        params |= more
        params |= {"limit": page.limit, "offset": page.offset}
        params["headline"] = _headline_options(ENTRY_SNIPPET_WORDS, 0)
        kind_filter = ""
        if page.kinds:
            names = [f":k{i}" for i in range(len(page.kinds))]
            kind_filter = f" AND e.kind IN ({', '.join(names)})"
            params.update({f"k{i}": k for i, k in enumerate(page.kinds)})
        # Statements are put together from constants and placeholders only.
        base = (
            "FROM entries_search s JOIN entries e ON e.id = s.id, "
            f"(SELECT {tsquery} AS q, {shown} AS h) AS query "
            f"WHERE s.document @@ query.q{kind_filter}"
        )
        total = (await session.execute(text(f"SELECT count(*) {base}"), params)).scalar_one()
        if not total:
            return Hits((), 0)
        terms = list(dict.fromkeys(p for group in query.groups for p in group))
        scores, weights = await bm25_scores(session, self.counts, terms, entry_weights(), "matched")
        params |= weights
        snippet = f"ts_headline('{CONFIG}', s.body, query.q, :headline)" if page.snippets else "''"
        rows = (
            await session.execute(
                text(
                    f"WITH matched AS (SELECT s.id, s.document {base}), {scores}, "  # noqa: S608
                    "shown AS (SELECT id, score FROM bm25 ORDER BY score, id "
                    "LIMIT :limit OFFSET :offset) "
                    f"SELECT s.id, {snippet} AS snip, shown.score FROM shown "
                    f"JOIN entries_search s ON s.id = shown.id, (SELECT {tsquery} AS q) AS query "
                    "ORDER BY shown.score, shown.id"
                ),
                params,
            )
        ).all()
        return Hits(tuple(Hit(int(r.id), float(r.score), r.snip or "") for r in rows), int(total))

    async def _snippets(
        self, session: AsyncSession, match: str, ids: Sequence[int]
    ) -> dict[int, str]:
        """ts_headline for the rows `ids` only: the costly part of a search."""
        query = Query.decode(match)
        tsquery, params = query.sql("q")
        shown, more = query.sql("h", spelled=True)
        params |= more
        listed, more = _ids(ids)
        rows = await session.execute(
            text(
                f"SELECT s.id, s.body, ts_headline('{CONFIG}', s.body, query.h, "  # noqa: S608
                ":headline) AS snip "
                f"FROM entries_search s, (SELECT {tsquery} AS q, {shown} AS h) AS query "
                f"WHERE s.id IN {listed} AND s.document @@ query.q"
            ),
            params | more | {"headline": _headline_options(ENTRY_SNIPPET_WORDS, 0)},
        )
        return {int(r.id): whole_words(r.body, r.snip or "") for r in rows}


def _words_of(column: str) -> str:
    """A JSON list of words (`column`) as the index holds it: the words, space-separated."""
    words = f"SELECT string_agg(w, ' ') FROM json_array_elements_text({column}) w"  # noqa: S608
    return f"coalesce(({words}), '')"


def _filters(where: QuestionFilter) -> tuple[str, dict[str, Any]]:
    """SQL conditions on `qq` (qa_questions) and their parameters, beyond the server's."""
    filters = ""
    params: dict[str, Any] = {"guild": where.guild_id}
    if where.tag is not None:
        filters += " AND EXISTS (SELECT 1 FROM json_array_elements_text(qq.tags) t WHERE t = :tag)"
        params["tag"] = where.tag
    answered = "EXISTS (SELECT 1 FROM qa_answers a WHERE a.question_id = qq.id)"
    if where.answered is True:
        filters += f" AND {answered}"
    elif where.answered is False:
        filters += f" AND NOT {answered}"
    if where.unaccepted:
        filters += " AND qq.accepted_answer_id IS NULL"
    return filters, params


class PostgresQuestionIndex(SearchTable, QuestionIndex):
    """`qa_search`: `document` for searching, `topic` for similar questions, `heading` and
    the title's trigrams for autocomplete.
    """

    table = "qa_search"

    def __init__(self) -> None:
        self.counts = Counts(self.table, (ROW_TOKENS, QUESTION_BYTES))
        # For ranking titles and tags alone, as SQLite's qa_titles_fts: their own lengths.
        self.heading_counts = Counts(self.table, (HEADING_TOKENS, HEADING_BYTES))

    async def _add(self, session: AsyncSession, question: QuestionText) -> None:
        """One row; its tsvectors are generated by the database."""
        await session.execute(
            text(
                "INSERT INTO qa_search (id, title, details, tags, answers) "
                "VALUES (:id, :title, :details, :tags, :answers)"
            ),
            {
                "id": question.id,
                "title": question.title,
                "details": question.details,
                "tags": " ".join(question.tags),
                "answers": "\n\n".join(question.answers),
            },
        )

    async def rebuild(self, session: AsyncSession) -> None:
        """`qa_search` anew from the questions and their answers (in the order given)."""
        self.counts.forget()
        self.heading_counts.forget()
        await session.execute(text("DELETE FROM qa_search"))
        await session.execute(
            text(
                "INSERT INTO qa_search (id, title, details, tags, answers) "  # noqa: S608
                f"SELECT q.id, q.title, q.details, {_words_of('q.tags')}, "
                "coalesce((SELECT string_agg(a.body, E'\\n\\n' ORDER BY a.id) FROM qa_answers a "
                "WHERE a.question_id = q.id), '') FROM qa_questions q"
            )
        )

    async def word_counts(self, session: AsyncSession, words: Sequence[str]) -> list[int]:
        """Questions holding each word anywhere, counted by the index: one statement."""
        parts: list[str] = []
        params: dict[str, Any] = {}
        for n, word in enumerate(words):
            found = phrases(word)
            if found:
                tsquery, more = Query(((found[0],),)).sql(f"w{n}")
                counted = f"SELECT count(*) FROM qa_search s WHERE s.document @@ {tsquery}"  # noqa: S608
                parts.append(f"({counted})")
                params |= more
            else:
                parts.append("0")
        if not params:
            return [0] * len(words)
        row = (await session.execute(text("SELECT " + ", ".join(parts)), params)).one()
        return [int(counted or 0) for counted in row]

    def similar_query(
        self, keywords: Sequence[str], common: frozenset[str] = frozenset(), *, titles: bool = False
    ) -> str | None:
        """The query `similar` matches with (pairs of keywords in `topic`, or in `heading`
        with `titles`).
        """
        return pairs_query(keywords, common, titles=titles)

    def highlight_query(self, keywords: Sequence[str]) -> str:
        """The query `similar` highlights snippets with."""
        return any_query(keywords)

    def _prefix_match(self, typed: str) -> str | None:
        """The last phrase a prefix (`prefix_query`)."""
        return prefix_query(typed)

    async def _titles(self, session: AsyncSession, match: str, ranking: Ranking) -> list[int]:
        """From `heading` (title and tags), the newest `window` matches, ranked; when none
        matches, titles close to what was typed (trigrams: a typo still finds them).
        """
        query = Query.decode(match)
        tsquery, params = query.sql("q")
        filters, more = _filters(ranking.where)
        params |= more | {"window": ranking.window, "limit": ranking.per_page}
        newest = (
            f"SELECT s.id, -ts_rank('{QUESTION_WEIGHTS}', s.heading, query.q) AS score "  # noqa: S608
            "FROM qa_search s JOIN qa_questions qq ON qq.id = s.id, "
            f"(SELECT {tsquery} AS q) AS query "
            f"WHERE s.heading @@ query.q AND qq.guild_id = :guild{filters} "
            "ORDER BY s.id DESC LIMIT :window"
        )
        rows = (
            await session.execute(
                text(f"SELECT id FROM ({newest}) n ORDER BY score, id DESC LIMIT :limit"),  # noqa: S608
                params,
            )
        ).all()
        if rows:
            return [int(r.id) for r in rows]
        typed = " ".join(w for g in query.groups for w in g)
        if len(typed) < 3:
            return []
        close = (
            "SELECT s.id, word_similarity(:typed, lower(s.title)) AS likeness "  # noqa: S608
            "FROM qa_search s JOIN qa_questions qq ON qq.id = s.id "
            f"WHERE :typed <% lower(s.title) AND qq.guild_id = :guild{filters} "
            "ORDER BY s.id DESC LIMIT :window"
        )
        rows = (
            await session.execute(
                text(f"SELECT id FROM ({close}) c ORDER BY likeness DESC, id DESC LIMIT :limit"),  # noqa: S608
                params | {"typed": typed},
            )
        ).all()
        return [int(r.id) for r in rows]

    async def _ranked(
        self,
        session: AsyncSession,
        match: str,
        highlight: str,
        ranking: Ranking,
        *,
        titles: bool = False,
    ) -> HitPage:
        """The newest `window` matches (in `heading`, the titles and tags, with `titles`)
        ranked by FTS5's bm25 (`bm25_scores`) and counted in SQL, as SQLite ranks them;
        headlines of the title and details (and answers, for a search of `document`) for the
        page only.
        """
        query = Query.decode(match)
        tsquery, params = query.sql("q")
        shown_query, shown_params = Query.decode(highlight).sql("h", spelled=True)
        filters, more = _filters(ranking.where)
        params |= more | shown_params
        column = "heading" if titles else "topic" if query.column == "topic" else "document"
        terms = list(dict.fromkeys(p for group in query.groups for p in group))
        # Titles and tags are ranked as a table of their own (their lengths, not the whole
        # question's), as SQLite's qa_titles_fts ranks them.
        counts = self.heading_counts if titles else self.counts
        scores, weights = await bm25_scores(
            session, counts, terms, question_weights(column), "newest", column
        )
        params |= weights
        read = "s.heading AS document" if titles else "s.document"
        newest = (
            f"SELECT s.id, {read} FROM qa_search s "  # noqa: S608
            "JOIN qa_questions qq ON qq.id = s.id, "
            f"(SELECT {tsquery} AS q) AS query "
            f"WHERE s.{column} @@ query.q AND qq.guild_id = :guild{filters} "
            "ORDER BY s.id DESC LIMIT :window"
        )
        shown = (
            "SELECT id, score, count(*) OVER () AS total FROM bm25 "
            "ORDER BY score, id DESC LIMIT :limit OFFSET :offset"
        )
        headline_of = (
            "s.title || ' ' || s.details"
            if column != "document"
            else "s.title || ' ' || s.details || ' ' || s.answers"
        )
        statement = text(
            f"WITH newest AS ({newest}), {scores}, shown AS ({shown}) "  # noqa: S608
            "SELECT shown.id, shown.score, shown.total, "
            f"ts_headline('{CONFIG}', {headline_of}, {shown_query}, "
            ":headline) AS snip "
            "FROM shown JOIN qa_search s ON s.id = shown.id ORDER BY shown.score, shown.id DESC"
        )
        values = params | {"window": ranking.window}
        values["headline"] = _headline_options(QUESTION_SNIPPET_WORDS)
        per_page, page = ranking.per_page, max(ranking.page, 1)
        for _ in range(2):
            rows = (
                await session.execute(
                    statement,
                    values | {"limit": per_page, "offset": (page - 1) * per_page},
                )
            ).all()
            if rows or page == 1:
                break
            # Past the last page: count the matches and show the last page instead.
            total = await session.scalar(text(f"SELECT count(*) FROM ({newest}) n"), values)  # noqa: S608
            page = _last_page(int(total or 0), per_page, page)
        hits = tuple(Hit(int(r.id), float(r.score), r.snip or "") for r in rows)
        return HitPage(hits, int(rows[0].total) if rows else 0, page)


class PostgresSearch(Search):
    """Full-text search of a PostgreSQL database, by tsvector columns."""

    def __init__(self) -> None:
        super().__init__(PostgresEntryIndex(), PostgresQuestionIndex())
