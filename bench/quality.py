"""How often search puts the right answer first, on questions as learners type them.

`python -m bench search-quality` prints hit@1, hit@3 and MRR for `/search` through the whole
stack (the bot in its own process, the local Discord), at the service layer, and for the plain
full-text ranking underneath (bm25, every word else any word: what `/search` did before it read
questions), over tests/fixtures/search/learner_questions.yaml; then for `/qa search` and the
similar questions `/ask` shows, over the answered threads of tests/fixtures/search/
qa_threads.yaml. tests/learnings/test_search_quality.py and tests/qa/test_qa_search_quality.py
hold the floors with the same scoring.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

from bot.core.actor import Actor
from bot.db.engine import Database
from bot.db.models import Entry
from bot.learnings import LearningsService
from bot.learnings.sync import sync_content
from bot.qa import QaService, make_draft
from cogs.learnings.content import check_content

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "tests" / "fixtures" / "search" / "learner_questions.yaml"
THREADS = REPO / "tests" / "fixtures" / "search" / "qa_threads.yaml"
GUILD = 1
CONTENT = REPO / "content"
DEPTH = 5  # results looked at per question (one page of /search)


@dataclass(frozen=True, slots=True)
class Question:
    """A learner's question and the entries (slugs) that answer it."""

    text: str
    answers: frozenset[str]


@dataclass(frozen=True, slots=True)
class Quality:
    """How a ranking did on a set of questions."""

    n: int
    hit1: float
    hit3: float
    mrr: float
    misses: tuple[tuple[str, int | None, tuple[str, ...]], ...]  # question, rank, top three

    def line(self, name: str) -> str:
        """One row of the report."""
        return f"{name:<44} {self.hit1:>6.3f} {self.hit3:>6.3f} {self.mrr:>6.3f}   n={self.n}"


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """The evaluation set."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Question(item["q"], frozenset(item["a"])) for item in items]


def score(ranked: Sequence[tuple[Question, Sequence[str]]]) -> Quality:
    """hit@1, hit@3 and MRR (within DEPTH results) of each question's ranked slugs."""
    hit1 = hit3 = 0
    reciprocal = 0.0
    misses = []
    for question, slugs in ranked:
        rank = next((i for i, slug in enumerate(slugs[:DEPTH]) if slug in question.answers), None)
        if rank == 0:
            hit1 += 1
        else:
            misses.append((question.text, rank, tuple(slugs[:3])))
        if rank is not None:
            hit3 += rank < 3
            reciprocal += 1 / (rank + 1)
    n = len(ranked) or 1
    return Quality(len(ranked), hit1 / n, hit3 / n, reciprocal / n, tuple(misses))


async def rank_all(
    questions: Sequence[Question], rank: Callable[[str], Awaitable[Sequence[str]]]
) -> Quality:
    """`rank(question)` for every question, scored."""
    return score([(q, await rank(q.text)) for q in questions])


async def knowledge_base(folder: Path, url: str | None = None) -> tuple[Database, LearningsService]:
    """content/ synced into a fresh database (a SQLite file in `folder`, or the empty database
    at `url`), and the service over it."""
    db = Database(url or f"sqlite+aiosqlite:///{folder / 'quality.db'}")
    await db.upgrade()
    await sync_content(db, check_content(CONTENT).learnings)
    service = LearningsService(db)
    await service.refresh()
    return db, service


async def service_ranking(service: LearningsService, query: str) -> list[str]:
    """What `/search` finds, at the service layer."""
    page = await service.search(query, per_page=DEPTH)
    return [hit.slug for hit in page.hits]


async def full_text_ranking(db: Database, query: str) -> list[str]:
    """The full-text index alone: bm25 over every word, else over any word."""
    async with db.read() as session:
        found = await db.search.entries.search(session, query, limit=DEPTH)
        slugs = {
            row.id: row.slug
            for row in (
                await session.execute(
                    Entry.__table__.select().where(Entry.id.in_([h.id for h in found.hits]))
                )
            ).all()
        }
    return [slugs[hit.id] for hit in found.hits if hit.id in slugs]


@dataclass(frozen=True, slots=True)
class Thread:
    """A question members posted and answered, and how others look for it later."""

    title: str
    details: str
    tags: str
    answer: str
    search: str  # typed in /qa search
    ask: str  # the title of a new /ask that should be shown this thread


def load_threads(path: Path = THREADS) -> list[Thread]:
    """The Q&A evaluation set."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Thread(i["title"], i["details"], ", ".join(i["tags"]), i["answer"], i["search"], i["ask"])
        for i in items
    ]


async def qa_with_threads(
    folder: Path, threads: Sequence[Thread], url: str | None = None
) -> tuple[Database, QaService]:
    """A fresh database (a SQLite file in `folder`, or the empty database at `url`) holding
    `threads`, each asked and answered by members."""
    db = Database(url or f"sqlite+aiosqlite:///{folder / 'qa-quality.db'}")
    await db.upgrade()
    qa = QaService(db, ask_cooldown=timedelta(0), answer_cooldown=timedelta(0))
    for n, thread in enumerate(threads):
        asker, helper = Actor(1000 + n), Actor(2000 + n)
        question = await qa.ask(GUILD, asker, make_draft(thread.title, thread.details, thread.tags))
        await qa.answer(GUILD, question.id, helper, thread.answer)
    return db, qa


async def qa_quality(qa: QaService, threads: Sequence[Thread]) -> tuple[Quality, Quality]:
    """`/qa search` with each thread's search, and `/ask`'s similar questions for each thread's
    new title: is the thread first?
    """
    searched: list[tuple[Question, Sequence[str]]] = []
    similar: list[tuple[Question, Sequence[str]]] = []
    ids = {t.title: str(n + 1) for n, t in enumerate(threads)}
    for thread in threads:
        wanted = Question(thread.search, frozenset({ids[thread.title]}))
        page = await qa.search(GUILD, thread.search, per_page=DEPTH)
        searched.append((wanted, [str(hit.question.id) for hit in page.hits]))
        draft = make_draft(thread.ask, thread.ask)
        hits = await qa.similar(GUILD, draft, limit=DEPTH)
        similar.append((Question(thread.ask, wanted.answers), [str(h.question.id) for h in hits]))
    return score(searched), score(similar)


FIELD_TITLE_RE = re.compile(r"^\S+\s+(.*)$")


def slugs_of_results(fields: Sequence[dict[str, str]], slug_by_title: dict[str, str]) -> list[str]:
    """The learnings a /search reply lists, in order (its fields are "<emoji> <title>")."""
    found = []
    for field in fields:
        match = FIELD_TITLE_RE.match(field.get("name", ""))
        if match and match.group(1) in slug_by_title:
            found.append(slug_by_title[match.group(1)])
    return found


async def discord_quality(questions: Sequence[Question], work: Path) -> Quality:
    """`/search` for every question through the whole stack: the bot in its own process."""
    from bench.fullstack import add_members
    from bench.launcher import BotProcess, bot_config
    from localdiscord.emulator import FakeDiscord

    learnings = check_content(CONTENT).learnings
    slug_by_title = {entry.title: entry.slug for entry in learnings}
    fake = FakeDiscord(interaction_deadline=None, timeout=60)
    members = add_members(fake, 20, prefix="learner")
    await fake.start()
    bot = await BotProcess.start(
        bot_config(fake, work / "fullstack.db", CONTENT, work), work / "bot.log"
    )
    try:
        ranked = []
        for n, question in enumerate(questions):
            reply = await fake.slash(
                "search", {"query": question.text}, user=members[n % len(members)]
            )
            fields = reply.embeds[0].get("fields", []) if reply.embeds else []
            ranked.append((question, slugs_of_results(fields, slug_by_title)))
        return score(ranked)
    finally:
        await bot.stop()
        await fake.stop()


async def report(verbose: bool) -> int:
    """Every ranking over the evaluation set, as a table (and the misses, with `verbose`)."""
    questions = load_questions()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        db, service = await knowledge_base(work)
        try:
            before = await rank_all(questions, lambda q: full_text_ranking(db, q))
            after = await rank_all(questions, lambda q: service_ranking(service, q))
        finally:
            await db.close()
        threads = load_threads()
        qa_db, qa = await qa_with_threads(work, threads)
        try:
            qa_search, qa_similar = await qa_quality(qa, threads)
        finally:
            await qa_db.close()
        stack = await discord_quality(questions, work)
    print(
        f"{'search over ' + str(len(questions)) + ' learner questions':<44} "
        f"{'hit@1':>6} {'hit@3':>6} {'MRR':>6}"
    )
    print(before.line("full-text index alone (before)"))
    print(after.line("/search, service layer"))
    print(stack.line("/search, whole stack (bot + local Discord)"))
    print(qa_search.line(f"/qa search over {len(threads)} answered threads"))
    print(qa_similar.line("/ask similar questions, same threads"))
    if verbose:
        for text, rank, top in stack.misses:
            print(f"  miss: {text!r}: rank {rank if rank is None else rank + 1}, top {list(top)}")
    return 0


def main(argv: Sequence[str]) -> int:
    """`python -m bench search-quality [-v]`."""
    return asyncio.run(report("-v" in argv or "--verbose" in argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
