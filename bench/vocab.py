"""A backend vocabulary taken from the real content/ files, and realistic text built from it.

Every term a generated question is about is a real name from content/ (an entry's title, one
of its aliases or tags, a `code` identifier from its body); the prose of details and answers is
real sentences from the bodies of that entry and its related entries, framed by templates a
learner would write ("Why does X time out after a deploy?"). Popularity follows a Zipf-like
law, as in a real forum: a few subjects (Django, Celery, JWT) come up all the time, most
rarely. Everything is seeded: the same seed gives the same corpus.
"""

from __future__ import annotations

import random
import re
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from bot.learnings.loader import content_files, parse_file
from bot.learnings.model import Learning

FENCE_RE = re.compile(r"```.*?```", re.S)
INLINE_CODE_RE = re.compile(r"`([^`\n]{3,40})`")
SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*\"'(])")
LIST_MARK_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
MARKUP_RE = re.compile(r"\*\*|__|\[([^\]]*)\]\([^)]*\)")
WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_+#'-]*")
TAG_OK_RE = re.compile(r"[\w+#.\-]{1,24}")
CODE_LINE_RE = re.compile(r"^\s*\S.{8,78}$")

ACTIONS = (
    "set up", "configure", "test", "debug", "speed up", "paginate", "cache", "retry", "secure",
    "version", "monitor", "migrate", "deploy", "index", "mock", "invalidate", "structure",
    "validate", "log", "rate limit", "scale", "profile", "document", "refactor", "roll back",
    "serialize", "authenticate", "schedule", "batch", "stream", "benchmark", "containerize",
    "split", "lock", "throttle", "replay", "clean up", "observe", "isolate", "seed",
)  # fmt: skip
SYMPTOMS = (
    "is slow", "times out", "returns 500", "leaks memory", "runs twice", "never fires",
    "deadlocks", "returns stale data", "breaks in production", "fails only in CI",
    "works locally but not in Docker", "blocks the event loop", "loses messages",
    "runs on every request", "raises IntegrityError", "hangs forever", "uses 100% CPU",
    "returns 403", "returns an empty list", "duplicates rows", "ignores my settings",
    "fails after upgrading", "crashes the worker", "keeps reconnecting", "makes N+1 queries",
    "returns 401 after an hour", "gets slower every day", "fills the disk", "sends emails twice",
    "drops the last page", "returns the wrong timezone", "skips some rows",
)  # fmt: skip
CONTEXTS = (
    "after a deploy", "under load", "with 200k rows", "in tests", "behind nginx",
    "in a Celery task", "with PostgreSQL", "in a Docker container", "on Render",
    "with gunicorn workers", "in a DRF viewset", "on the free tier", "with Redis as the broker",
    "in GitHub Actions", "on Kubernetes", "with async views", "during migrations",
    "with two databases", "for a mobile client", "when two users book at once",
    "at midnight UTC", "on the staging server", "with uvicorn", "after adding an index",
    "in the admin", "for the payments webhook", "with pytest-xdist", "on Windows",
)  # fmt: skip
PROJECTS = (
    "a booking app", "an e-commerce API", "a chat backend", "a property rental API",
    "a payments service", "a school management system", "a blog API", "an inventory tracker",
    "a ride-sharing backend", "a job board", "an event ticketing API", "a movie recommendation API",
    "a food delivery backend", "a clinic appointment system", "a library catalogue API",
    "a crowdfunding platform", "a fleet tracking service", "a newsletter service",
)  # fmt: skip
ERRORS = (
    "OperationalError: database is locked", "IntegrityError: UNIQUE constraint failed",
    "TimeoutError", "ConnectionResetError", "ImproperlyConfigured", "SynchronousOnlyOperation",
    "CSRF verification failed", "401 Unauthorized", "502 Bad Gateway", "MemoryError",
    "RecursionError", "ValidationError", "DoesNotExist", "MultipleObjectsReturned",
    "SoftTimeLimitExceeded", "ModuleNotFoundError", "KeyError", "a CORS error",
    "SSL: CERTIFICATE_VERIFY_FAILED", "FATAL: too many connections", "429 Too Many Requests",
    "django.db.utils.ProgrammingError: relation does not exist", "WorkerLostError",
    "RuntimeError: Event loop is closed", "BrokenPipeError", "OOMKilled",
)  # fmt: skip
TITLE_TEMPLATES = (
    "How do I {act} {t} in {fw}?", "How should I {act} {t}?", "Why does {t} {sym} {ctx}?",
    "{T} {sym} {ctx}", "{T} vs {t2}: which one should I use?",
    "What is the difference between {t} and {t2}?", "Best way to {act} {t} with {t2}?",
    "Getting {err} when using {t}", "{err} with {t} {ctx}",
    "Is it safe to {act} {t} in production?",
    "{FW}: {t} {sym}", "When should I use {t} instead of {t2}?",
    "How to {act} {t} without breaking {t2}?", "Can someone explain {t} {ctx}?",
    "{T} keeps failing {ctx}, what am I missing?", "Does {t} work with {t2}?",
    "Trouble with {t} and {t2} {ctx}", "How do you {act} {t} for {proj}?",
    "Where should {t} live in {proj}?", "Help: {t} {sym}", "{T} for {proj}: good idea?",
    "How can I {act} {t} {ctx}?", "{T}: how do I {act} it properly?",
    "My {t} {sym}", "Is {t} overkill for {proj}?", "Do I need {t} if I already use {t2}?",
)  # fmt: skip
OPENERS = (
    "I'm building {proj} with {fw} and {t2}.", "Our {proj} uses {fw}; {t} was fine until {ev}.",
    "Week {n} of the ProDev backend track: I'm adding {t} to {proj}.",
    "I have {proj} on {fw} and I'm stuck on {t}.", "Context: {fw}, {t2}, deployed {ctx}.",
    "We moved {proj} to {fw} last month and now {t} {sym}.",
    "Following the lesson on {t}, I tried it in {proj}.",
)  # fmt: skip
EVENTS = (
    "we added a second worker", "traffic doubled", "we upgraded Django", "we enabled caching",
    "the table passed a million rows", "we switched to PostgreSQL", "we added JWT auth",
    "a teammate merged a migration", "we moved to Docker", "we turned on async views",
)  # fmt: skip
CLOSERS = (
    "What am I missing?", "Any pointers?", "Is there a cleaner way?", "Thanks in advance!",
    "Should I restructure this?", "What would you check first?", "", "",
)  # fmt: skip
ANSWER_OPENERS = (
    "", "", "You want {t} here.", "Check {ident} first.", "This is usually {t}.",
    "I hit the same thing {ctx}.", "Short answer: {act} {t} before anything else.",
    "It's not {t2}, it's {t}.", "Look at {ident}.", "Two things.",
    "We solved this in {proj} with {t}.",
)  # fmt: skip
FRAMEWORK_TAGS = (
    "django", "drf", "celery", "postgresql", "redis", "docker", "fastapi", "kubernetes",
    "nginx", "github-actions", "pytest", "graphql", "rabbitmq", "gunicorn", "asyncio",
    "sqlalchemy", "mysql", "aws", "heroku", "jwt",
)  # fmt: skip
FRAMEWORK_NAMES = {
    "django": "Django", "drf": "DRF", "celery": "Celery", "postgresql": "PostgreSQL",
    "redis": "Redis", "docker": "Docker", "fastapi": "FastAPI", "kubernetes": "Kubernetes",
    "nginx": "nginx", "github-actions": "GitHub Actions", "pytest": "pytest",
    "graphql": "GraphQL", "rabbitmq": "RabbitMQ", "gunicorn": "gunicorn", "asyncio": "asyncio",
    "sqlalchemy": "SQLAlchemy", "mysql": "MySQL", "aws": "AWS", "heroku": "Heroku", "jwt": "JWT",
}  # fmt: skip


def zipf_weights(count: int, exponent: float = 0.9) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(count)]


class Weighted:
    """Draws items with fixed weights (cumulative table + bisect: fast for 100k draws)."""

    def __init__(self, items: list[str] | list[Learning], weights: list[float]) -> None:
        self.items = items
        self.cumulative = list(accumulate(weights))

    def draw(self, rng: random.Random):  # type: ignore[no-untyped-def]
        return self.items[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def _plain(line: str) -> str:
    line = LIST_MARK_RE.sub("", line)
    line = MARKUP_RE.sub(lambda m: m.group(1) or "", line)
    return " ".join(line.replace("`", "").split())


def sentences_of(body: str) -> list[str]:
    """Real prose sentences of a body (no code, no headings), 5-45 words each."""
    out: list[str] = []
    for raw_line in FENCE_RE.sub("\n", body).splitlines():
        if raw_line.lstrip().startswith(("#", "|", ">")):
            continue
        line = _plain(raw_line)
        for sentence in SENTENCE_SPLIT_RE.split(line):
            words = sentence.split()
            if 5 <= len(words) <= 45 and sentence[-1:] in ".!?:)":
                out.append(sentence.rstrip(":") + ("" if sentence[-1] != ":" else "."))
    return out


def code_lines_of(body: str) -> list[str]:
    lines: list[str] = []
    for block in FENCE_RE.findall(body):
        for line in block.splitlines()[1:-1]:
            if CODE_LINE_RE.match(line) and "```" not in line:
                lines.append(line.rstrip())
    return lines


@dataclass
class Vocabulary:
    """The real learnings and what was extracted from them."""

    entries: list[Learning]
    by_slug: dict[str, Learning]
    terms: dict[str, list[str]]  # slug -> names people would type (title, aliases, tags)
    sentences: dict[str, list[str]]  # slug -> prose sentences of its body
    code_lines: list[str]
    identifiers: list[str]
    popularity: Weighted  # entries, most talked-about first
    body_words: int = 0
    distinct_words: int = 0
    tag_pool: list[str] = field(default_factory=list)

    @classmethod
    def from_content(cls, root: Path) -> Vocabulary:
        entries: list[Learning] = []
        for path in content_files(root):
            parsed, _ = parse_file(path, root)
            if parsed is not None:
                entries.append(parsed.learning)
        if not entries:
            raise ValueError(f"no learnings under {root}")
        entries.sort(key=lambda e: e.slug)
        words: Counter[str] = Counter()
        for entry in entries:
            words.update(w.lower() for w in WORD_RE.findall(entry.body))
        terms: dict[str, list[str]] = {}
        sentences: dict[str, list[str]] = {}
        identifiers: set[str] = set()
        code: list[str] = []
        for entry in entries:
            # Members name a concept by its title or an alias; a tip's or a challenge's title is
            # a sentence nobody types, so those are talked about through aliases and tags.
            names = [*entry.aliases, *entry.tags]
            if entry.kind == "concept" or not names:
                names.insert(0, entry.title)
            terms[entry.slug] = list(dict.fromkeys(n.strip() for n in names if n.strip()))
            found = sentences_of(entry.body)
            sentences[entry.slug] = found or [entry.summary]
            identifiers.update(
                m for m in INLINE_CODE_RE.findall(entry.body) if " " not in m.strip()
            )
            code.extend(code_lines_of(entry.body))
        # How often members ask about an entry ~ how much the rest of the knowledge base
        # points at it and mentions its names.
        corpus = "\n".join(e.body.lower() for e in entries)
        pointed_at = Counter(slug for e in entries for slug in e.related)
        score = {
            e.slug: 25 * pointed_at[e.slug]
            + sum(corpus.count(n.lower()) for n in terms[e.slug][:3] if len(n) > 2)
            + (40 if e.kind == "concept" else 0)
            for e in entries
        }
        ranked = sorted(entries, key=lambda e: (-score[e.slug], e.slug))
        tags = sorted({t for e in entries for t in e.tags if TAG_OK_RE.fullmatch(t)})
        return cls(
            entries=entries,
            by_slug={e.slug: e for e in entries},
            terms=terms,
            sentences=sentences,
            code_lines=sorted(set(code)),
            identifiers=sorted(identifiers),
            popularity=Weighted(ranked, zipf_weights(len(ranked))),
            body_words=sum(words.values()),
            distinct_words=len(words),
            tag_pool=tags,
        )

    def related(self, entry: Learning) -> list[Learning]:
        return [self.by_slug[s] for s in entry.related if s in self.by_slug]


@dataclass(frozen=True, slots=True)
class GeneratedQuestion:
    title: str
    details: str
    tags: tuple[str, ...]
    answers: tuple[str, ...]
    accepted: int | None  # index into answers
    subject: str  # slug of the learning it is about


class Writer:
    """Writes questions, answers, queries and typos from a Vocabulary, reproducibly."""

    def __init__(self, vocab: Vocabulary, seed: int) -> None:
        self.vocab = vocab
        self.rng = random.Random(seed)
        self.framework = Weighted(list(FRAMEWORK_TAGS), zipf_weights(len(FRAMEWORK_TAGS), 1.1))

    # -- pieces ----------------------------------------------------------------------------

    def subject(self) -> Learning:
        entry: Learning = self.vocab.popularity.draw(self.rng)
        return entry

    def term(self, entry: Learning) -> str:
        names = self.vocab.terms[entry.slug]
        # The title and first aliases are what people say; later aliases and tags less often.
        index = min(int(self.rng.expovariate(0.7)), len(names) - 1)
        return names[index]

    def other(self, entry: Learning) -> Learning:
        related = self.vocab.related(entry)
        if related and self.rng.random() < 0.75:
            return self.rng.choice(related)
        return self.subject()

    def _fill(self, template: str, entry: Learning, second: Learning) -> str:
        rng = self.rng
        fw_tag = self.framework.draw(rng)
        t, t2 = self.term(entry), self.term(second)
        values = {
            "t": t,
            "T": t[:1].upper() + t[1:],
            "t2": t2,
            "act": rng.choice(ACTIONS),
            "sym": rng.choice(SYMPTOMS),
            "ctx": rng.choice(CONTEXTS),
            "err": rng.choice(ERRORS),
            "fw": FRAMEWORK_NAMES[fw_tag],
            "FW": FRAMEWORK_NAMES[fw_tag],
            "proj": rng.choice(PROJECTS),
            "ev": rng.choice(EVENTS),
            "n": str(rng.randint(1, 12)),
            "ident": rng.choice(self.vocab.identifiers) if self.vocab.identifiers else t,
        }
        return template.format(**values)

    def typo(self, text: str) -> str:
        """One realistic slip: a swapped, dropped or doubled letter."""
        letters = [i for i, ch in enumerate(text) if ch.isalpha()]
        if len(letters) < 4:
            return text
        i = self.rng.choice(letters[1:-1])
        kind = self.rng.randrange(3)
        if kind == 0 and i + 1 < len(text):
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if kind == 1:
            return text[:i] + text[i + 1 :]
        return text[:i] + text[i] + text[i:]

    def prose(self, entries: list[Learning], low: int, high: int) -> str:
        pool = [s for e in entries for s in self.vocab.sentences[e.slug]]
        count = min(len(pool), self.rng.randint(low, high))
        return " ".join(self.rng.sample(pool, count))

    # -- whole questions ---------------------------------------------------------------------

    def question(self) -> GeneratedQuestion:
        rng = self.rng
        entry = self.subject()
        second = self.other(entry)
        title = self._fill(rng.choice(TITLE_TEMPLATES), entry, second)
        if rng.random() < 0.08:
            title = self.typo(title)
        title = " ".join(title.split())[:149].rstrip()
        if len(title) < 12:
            title = f"Question about {title}"
        parts = [self._fill(rng.choice(OPENERS), entry, second)]
        parts.append(self.prose([entry, second], 1, 3))
        roll = rng.random()
        if roll < 0.25 and self.vocab.code_lines:
            snippet = "\n".join(rng.sample(self.vocab.code_lines, rng.randint(1, 3)))
            parts.append(f"\n```\n{snippet}\n```\n")
        elif roll < 0.45:
            parts.append(f"The log says `{rng.choice(ERRORS)}`.")
        parts.append(rng.choice(CLOSERS))
        details = " ".join(p for p in parts if p).strip()[:1990]
        tags = [t for t in entry.tags if TAG_OK_RE.fullmatch(t)][:2]
        if rng.random() < 0.5:
            tags.append(self.framework.draw(rng))
        tags = list(dict.fromkeys(tags))[: rng.randint(1, 3)] if tags else []
        answers = self.answers(entry, second)
        accepted = rng.randrange(len(answers)) if answers and rng.random() < 0.45 else None
        return GeneratedQuestion(title, details, tuple(tags), answers, accepted, entry.slug)

    def answers(self, entry: Learning, second: Learning) -> tuple[str, ...]:
        roll = self.rng.random()
        count = 0 if roll < 0.3 else 1 if roll < 0.7 else 2 if roll < 0.88 else 3 + (roll > 0.96)
        out = []
        sources = [entry, second, *self.vocab.related(entry)[:2]]
        for _ in range(count):
            opener = self._fill(self.rng.choice(ANSWER_OPENERS), entry, second)
            text = f"{opener} {self.prose(sources, 2, 5)}".strip()
            if self.rng.random() < 0.2 and self.vocab.code_lines:
                text += f"\n```\n{self.rng.choice(self.vocab.code_lines)}\n```"
            out.append(text[:1990])
        return tuple(out)

    # -- what members type -------------------------------------------------------------------

    def search_words(self) -> str:
        """A search as members type it: one or two subject words, sometimes three."""
        rng = self.rng
        entry = self.subject()
        words = [w for w in WORD_RE.findall(self.term(entry)) if len(w) > 1]
        roll = rng.random()
        if roll < 0.35 and words:
            return words[0].lower()
        second = [w for w in WORD_RE.findall(self.term(self.other(entry))) if len(w) > 1]
        picked = (words[:2] or ["cache"]) + (second[:1] if roll > 0.8 else [])
        return " ".join(dict.fromkeys(w.lower() for w in picked))

    def typed_prefix(self, name: str) -> str:
        """What is in the box while typing `name`: a prefix of 1..len characters."""
        if len(name) <= 2:
            return name
        cut = max(1, min(len(name), int(self.rng.triangular(1, len(name), 4))))
        return name[:cut]
