"""How PostgreSQL ranks full-text matches: by FTS5's own bm25, computed in SQL.

The learnings and the questions are ranked as SQLite ranks them (`bm25_scores`), so that a
database copied from SQLite to PostgreSQL answers `/search` and `/qa search` with the same
rows first: per phrase of the query, its weighted frequency in the row (each occurrence counts
its column's weight, FTS5's weights of that column) saturated by k1 and normalised by the
row's length in tokens, times the phrase's rarity among all rows. What that reads of the whole
table (rows, rows holding a phrase, mean length) is counted now and then (`Counts`), not by
each search.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.search.sqlite import ENTRY_WEIGHTS as FTS_ENTRY_WEIGHTS
from bot.db.search.sqlite import QUESTION_WEIGHTS as FTS_QUESTION_WEIGHTS
from bot.db.search.tsquery import CONFIG

DF_SECONDS = 600.0  # how long a count of the rows holding a phrase is used
DF_KEPT = 20_000  # phrases counted at most, then the counts start afresh
LENGTH_SAMPLE = 2_000  # rows read for a table's mean length (all of them in a smaller table)
# FTS5's bm25 (sqlite/ext/fts5/fts5_aux.c): term-frequency saturation and length weight.
K1 = 1.2
B = 0.75
IDF_FLOOR = 1e-6  # FTS5's idf of a phrase at least half the rows hold
# qa_fts's columns in their order (bm25's weights follow it), and the weight label each has
# in qa_search's tsvectors (the migrations' DDL: title A, tags B, details C, answers D).
FTS_QUESTION_COLUMNS = ("title", "details", "tags", "answers")
QUESTION_LABELS = {"title": "A", "tags": "B", "details": "C", "answers": "D"}
# The tsvector labels each of qa_search's tsvector columns holds.
COLUMN_LABELS = {"document": "ABCD", "topic": "ABC", "heading": "AB"}
# A lexeme no document holds (its text is read with punctuation as spaces), put after a
# document's last word to learn where that is: `tsvector || tsvector` places the right one's
# words after the left one's last position.
END = "#"
END_ONLY = f"CAST('{{{END}}}' AS text[])"


def marked(vector: str) -> str:
    """SQL of the tsvector `vector` with END after its last word (for `text()`, which would
    read `:1` as a parameter unless escaped).
    """
    return f"({vector} || CAST('{END}\\:1' AS tsvector))"


def kept(vector: str, lexemes: str) -> str:
    """SQL of the tsvector `vector` holding only the lexemes `lexemes` (SQL of a text[]):
    in C, without unnesting the whole vector (three times cheaper for a question's).
    """
    return f"ts_delete({vector}, tsvector_to_array(ts_delete({vector}, {lexemes})))"


# A row's length in tokens, as FTS5 counts it over every column (stop words included): the
# last position in its document, where each column's words follow the previous column's
# last word. Only a column's trailing stop words are missed (0.2% of 10k rows' tokens);
# counting the words of the text (regexp_count) is exact but costs four times more.
ROW_TOKENS = f"(SELECT u.positions[1] - 1 FROM unnest({kept(marked('s.document'), END_ONLY)}) u)"  # noqa: S608
# A question's title and tags in tokens (qa_titles_fts's row on SQLite), as ROW_TOKENS counts.
HEADING_TOKENS = f"(SELECT u.positions[1] - 1 FROM unnest({kept(marked('s.heading'), END_ONLY)}) u)"  # noqa: S608
HEADING_BYTES = "octet_length(s.title) + octet_length(s.tags)"
# Its size in bytes, which PostgreSQL reads from each value's header (no text is read).
QUESTION_BYTES = (
    "octet_length(s.title) + octet_length(s.details) + octet_length(s.tags) "
    "+ octet_length(s.answers)"
)


def question_weights(column: str) -> dict[str, float]:
    """bm25's weight of an occurrence in qa_search's tsvector `column` by its label: qa_fts's
    weight of the occurrence's column (the labels `column` holds only).
    """
    weights = (float(w) for w in FTS_QUESTION_WEIGHTS.split(","))
    by_column = dict(zip(FTS_QUESTION_COLUMNS, weights, strict=True))
    by_label = {QUESTION_LABELS[name]: weight for name, weight in by_column.items()}
    return {label: by_label[label] for label in COLUMN_LABELS[column]}


# entries_fts's columns in their order, and their labels in entries_search's document: the
# title and the aliases share A, so an alias weighs as the title does.
FTS_ENTRY_COLUMNS = ("title", "aliases", "tags", "summary", "body")
ENTRY_LABELS = {"title": "A", "aliases": "A", "summary": "B", "tags": "C", "body": "D"}
ENTRY_BYTES = (
    "octet_length(s.title) + octet_length(s.aliases) + octet_length(s.tags) "
    "+ octet_length(s.summary) + octet_length(s.body)"
)


def entry_weights() -> dict[str, float]:
    """bm25's weight of an occurrence in entries_search's document by its label."""
    weights = (float(w) for w in FTS_ENTRY_WEIGHTS.split(","))
    by_label: dict[str, float] = {}
    for name, weight in zip(FTS_ENTRY_COLUMNS, weights, strict=True):
        by_label.setdefault(ENTRY_LABELS[name], weight)
    return dict(sorted(by_label.items()))


@dataclass(frozen=True, slots=True)
class Tally:
    """What a table holds, for bm25: its rows, the rows holding each phrase asked about, and
    (when its length is counted) the mean length of a row in tokens.
    """

    rows: int
    holding: list[int]
    mean_length: float = 0.0


class Counts:
    """How many rows of a search table hold each phrase (in a tsvector column), how many rows
    it has and, with `length` (SQL of a row `s`'s length in tokens and in bytes), their mean
    length in tokens: what bm25's weights are made of. Counted by the index when first asked,
    then kept DF_SECONDS (they change slowly; a search should not count them), or until
    `forget`.
    """

    def __init__(self, table: str, length: tuple[str, str] | None = None) -> None:
        self.table = table
        self.length = length
        self._kept: dict[tuple[str, str], tuple[float, float]] = {}  # -> (when, counted)

    def forget(self) -> None:
        """The rows changed a lot (a content sync): count again."""
        self._kept.clear()

    async def of(
        self, session: AsyncSession, terms: Sequence[str], column: str = "document"
    ) -> Tally:
        """How many rows there are, how many hold each of `terms` in `column`, and how long
        a row is on average (when the table's lengths are counted).
        """
        now = time.monotonic()
        if len(self._kept) > DF_KEPT:
            self._kept.clear()
        keys = [("", ""), *((column, t) for t in terms)]
        wanted = [k for k in keys if now - self._kept.get(k, (-DF_SECONDS, 0.0))[0] >= DF_SECONDS]
        if wanted:
            parts = [
                f"(SELECT count(*) FROM {self.table})"  # noqa: S608
                if key == ("", "")
                else f"(SELECT count(*) FROM {self.table} WHERE {key[0]} @@ "  # noqa: S608
                f"phraseto_tsquery('{CONFIG}', :c{n}))"
                for n, key in enumerate(wanted)
            ]
            values = {f"c{n}": key[1] for n, key in enumerate(wanted) if key[1]}
            row = (await session.execute(text("SELECT " + ", ".join(parts)), values)).one()
            for key, held in zip(wanted, row, strict=True):
                self._kept[key] = (now, float(held))
        rows = int(self._kept[("", "")][1])
        holding = [int(self._kept[(column, t)][1]) for t in terms]
        return Tally(rows, holding, await self._mean_length(session, rows, now))

    async def _mean_length(self, session: AsyncSession, rows: int, now: float) -> float:
        """A row's mean length in tokens: the table's mean size in bytes (which PostgreSQL
        knows without reading the text) times the tokens per byte of about LENGTH_SAMPLE rows
        taken evenly over the table (of every row of a smaller one: then exact). Counting every
        row's tokens would take seconds in a large table; the estimate is within ~0.3%.
        """
        if self.length is None:
            return 0.0
        kept = self._kept.get(("#length", ""))
        if kept is not None and now - kept[0] < DF_SECONDS:
            return kept[1]
        tokens, size = self.length
        share = min(100.0, 100.0 * LENGTH_SAMPLE / max(rows, 1))
        sample = "" if share >= 100.0 else " TABLESAMPLE BERNOULLI (:share) REPEATABLE (0)"
        per_byte = (
            f"SELECT CAST(sum({tokens}) AS float8) / nullif(sum({size}), 0) "  # noqa: S608
            f"FROM {self.table} s{sample}"
        )
        mean = await session.scalar(
            text(
                f"SELECT CAST(sum({size}) AS float8) / nullif(count(*), 0) * ({per_byte}) "  # noqa: S608
                f"FROM {self.table} s"
            ),
            {"share": share},
        )
        self._kept[("#length", "")] = (now, float(mean or 0.0))
        return self._kept[("#length", "")][1]


def rarity(rows: int, holding: int) -> float:
    """FTS5's bm25 inverse document frequency of a phrase `holding` of `rows` rows hold:
    IDF_FLOOR for a phrase half the rows or more hold, as there (and for one counted after
    the rows were, more than they).
    """
    if 2 * holding >= rows:
        return IDF_FLOOR
    return math.log((rows - holding + 0.5) / (holding + 0.5))


async def bm25_scores(
    session: AsyncSession,
    counts: Counts,
    terms: Sequence[str],
    weights: Mapping[str, float],
    rows: str,
    column: str = "document",
) -> tuple[str, dict[str, Any]]:
    """Common table expressions ending in `bm25 (id, score)`: FTS5's bm25 score (negative,
    lower is better) of each row of `rows` (a CTE of a search table's ids and documents) for
    the phrases `terms`, each occurrence weighing its label's weight (`weights`: those of the
    tsvector `column`, where `counts` counts the rows holding a phrase); and their parameters.

    A phrase's frequency in a row is the weight of each place its first word is followed by
    its next ones at the same distances as in the phrase (a phrase of one word: each place
    it is), as FTS5 counts phrase instances. A row's length is ROW_TOKENS's, read in the
    same pass: the row's document kept to the query's lexemes and END.
    """
    tally = await counts.of(session, terms, column)
    weight = " ".join(f"WHEN '{label}' THEN CAST({w!r} AS float8)" for label, w in weights.items())
    labels = ", ".join(f"'{label}'" for label in weights)
    params = {
        "bm25_terms": list(terms),
        "bm25_idf": [rarity(tally.rows, held) for held in tally.holding],
        "bm25_avgdl": tally.mean_length or 1.0,
    }
    # Each phrase's lexemes, and how far after the phrase's first one each comes.
    phrases = (
        "SELECT t.n, t.idf, u.lexeme, p.pos - min(p.pos) OVER (PARTITION BY t.n) AS off, "  # noqa: S608
        "count(*) OVER (PARTITION BY t.n) AS size "
        "FROM unnest(CAST(:bm25_terms AS text[]), CAST(:bm25_idf AS float8[])) "
        "WITH ORDINALITY AS t(phrase, idf, n), "
        f"unnest(to_tsvector('{CONFIG}', t.phrase)) u, unnest(u.positions) AS p(pos)"
    )
    # Each row's document with only the query's lexemes and END left.
    wanted = f"ARRAY(SELECT lexeme FROM bm25_terms) || {END_ONLY}"  # noqa: S608
    found = (
        f"SELECT s.id, {kept('m.document', wanted)} AS found "  # noqa: S608
        f"FROM {rows} s CROSS JOIN LATERAL (SELECT {marked('s.document')} AS document) m"
    )
    # The places each phrase starts at in each row (in `column`), kept when each of its
    # lexemes is where it should be, weighed by the column (label) of the phrase's first one.
    starts = (
        "SELECT f.id, t.n, t.idf, count(*) AS found, max(t.size) AS size, "  # noqa: S608
        f"max(CASE WHEN t.off = 0 THEN CASE p.label {weight} END END) AS weight "
        "FROM bm25_found f, unnest(f.found) u JOIN bm25_terms t ON t.lexeme = u.lexeme, "
        "unnest(u.positions, u.weights) AS p(pos, label) "
        f"WHERE p.label IN ({labels}) GROUP BY f.id, t.n, t.idf, p.pos - t.off"
    )
    freqs = (
        f"SELECT g.id, g.idf, sum(g.weight) AS freq FROM ({starts}) g "  # noqa: S608
        "WHERE g.found = g.size GROUP BY g.id, g.n, g.idf"
    )
    lengths = (
        f"SELECT f.id, (SELECT u.positions[1] - 1 FROM unnest(f.found) u "  # noqa: S608
        f"WHERE u.lexeme = '{END}') AS tokens FROM bm25_found f"
    )
    score = (
        f"sum(q.idf * q.freq * {K1 + 1!r} / (q.freq + {K1!r} * ({1 - B!r} + {B!r} * "
        "l.tokens / CAST(:bm25_avgdl AS float8))))"
    )
    sql = (
        f"bm25_terms AS MATERIALIZED ({phrases}), bm25_found AS ({found}), "  # noqa: S608
        f"bm25 AS (SELECT l.id, -coalesce({score}, 0) AS score FROM ({lengths}) l "
        f"LEFT JOIN ({freqs}) q ON q.id = l.id GROUP BY l.id)"
    )
    return sql, params
