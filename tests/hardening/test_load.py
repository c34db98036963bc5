"""Load: 200 interactions in flight through the real bot; none times out, none errors.

The production bot (`create_bot`, every cog, real discord.py) runs in its own process
(bench/botproc.py, launched by bench/launcher.py) against the emulator in the test process,
as Discord would be remote: on one event loop the emulator and the bot would compete for one
core, and the emulator's work would show up as the bot's latency. The database holds the
synced content and 1,000 questions (the benchmark's generator).

CI runs a short mode (3 waves of 200); `NEXUS_LOAD_SECONDS=60` holds 200 in flight for a
minute. The mix: concept lookups and autocomplete, /search, /tips, /challenge, /qa search and
question autocomplete, and writes — /ask through its modal and /answer — by members whose
cooldowns allow them. The reads are spread over 400 members, so that none asks more than the
bot's per-member limits allow: a member told to slow down is a failure. An interaction is
answered when its first response (the callback, which may be a defer) reaches the emulator:
Discord's 3 s deadline. The figures are printed (run with -s) and added to the hardening
summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import os
import random
import re
import resource
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from bench.data import Plan, build
from bench.fullstack import AnswerClock, Driver, add_members
from bench.launcher import BotProcess, bot_config
from bench.vocab import Vocabulary
from bench.workload import Workload, build_workload
from localdiscord.emulator import FakeDiscord, InteractionResult
from tests.figures import report
from tests.harness import pings_nobody_but_an_asker
from tests.helpers import CONTENT

IN_FLIGHT = 200
SECONDS = float(os.environ.get("NEXUS_LOAD_SECONDS", "0"))
SHORT_WAVES = 3
DEADLINE_S = 3.0  # Discord's: the first response must arrive within 3 s of the interaction
QUESTIONS = 1000
WRITERS = 120  # members who ask and answer (each within the bot's cooldowns)
# Members who read: two per interaction in flight, so that none of them asks more at a time
# than the bot's per-member limits allow (cogs/_kit/gate.py), as on a busy server.
READERS = 2 * IN_FLIGHT
ASK_EVERY_S = 61.0  # the bot's /ask cooldown is 60 s per member
ANSWER_EVERY_S = 21.0  # and its /answer cooldown 20 s
# A member fills in the /ask modal before submitting it. (Submitted at once, the submission
# could reach the bot before it has registered the modal, which only happens once Discord has
# acknowledged opening it: no person is that fast.)
TYPING_S = 2.0
POSTED = re.compile(r"question #(\d+) is posted")
LOG_ERROR = re.compile(r"^(ERROR|CRITICAL)\b|^Traceback", re.MULTILINE)


@dataclass
class Remote:
    fake: FakeDiscord
    bot: BotProcess
    clock: AnswerClock
    workload: Workload
    readers: list[str]
    writers: list[str]
    log: Path


@pytest.fixture
async def remote(tmp_path: Path) -> AsyncIterator[Remote]:
    """The bot in its own process on a database with Q&A, the emulator here; afterwards, the
    checks the in-process e2e fixture makes (nothing pings, no unknown route, no error)."""
    vocab = Vocabulary.from_content(CONTENT)
    fake = FakeDiscord(timeout=30)  # follow-ups of deferred answers may take longer under load
    db_path = tmp_path / "nexus.db"
    await build(db_path, Plan(QUESTIONS, 0, 0, fake.guild_id), vocab, CONTENT, None, lambda _: None)
    workload = build_workload(vocab, db_path, 2000, seed=5)
    readers = add_members(fake, READERS, "reader")
    writers = add_members(fake, WRITERS, "writer")
    clock = AnswerClock(fake)  # before the emulator starts: it wraps the routes
    log = tmp_path / "bot.log"
    await fake.start()
    try:
        bot = await BotProcess.start(bot_config(fake, db_path, CONTENT, tmp_path), log)
        try:
            yield Remote(fake, bot, clock, workload, readers, writers, log)
        finally:
            await bot.stop()
    finally:
        await fake.stop()
    pinging = [m for m in fake.all_sent_messages() if not pings_nobody_but_an_asker(m)]
    assert pinging == [], "only an answer notice may ping, and only its asker"
    assert fake.unknown_requests == [], "the bot called routes the emulator does not know"
    errors = LOG_ERROR.findall(log.read_text(errors="replace"))
    assert errors == [], f"the bot logged errors; see {log}:\n{log.read_text()[-3000:]}"


class Members(Driver):
    """The benchmark's driver (lookups, searches, autocompletes, timed by the answer clock),
    plus /tips, /challenge and writes; every interaction's latency goes to `latencies`."""

    def __init__(self, remote: Remote, rng: random.Random) -> None:
        super().__init__(remote.fake, remote.clock, remote.workload, remote.readers)
        self.rng = rng
        self.latencies: list[float] = []  # seconds
        self.failures: list[str] = []
        self.writes = 0
        self.typing: set[asyncio.Task[None]] = set()  # modals being filled in
        self.asked: dict[str, float] = dict.fromkeys(remote.writers, -ASK_EVERY_S)
        self.answered: dict[str, float] = dict.fromkeys(remote.writers, -ANSWER_EVERY_S)
        self.questions: list[tuple[int, str]] = []  # (question, asker) posted during the run

    # -- timing ------------------------------------------------------------------------------

    def _answered(self, op: str, result: InteractionResult) -> float:
        # The benchmark's version also sorts answers into public and ephemeral, which copies
        # every message: here the emulator needs its CPU to keep up.
        self._not_slowed(op, result)  # a member told to slow down is a failure here
        if result.errors:
            self.failures.append(f"{op}: {result.errors}")
        return (self.clock.callback[result.token] - result.pending.created) * 1000

    async def run(self, op: Callable[[int], Awaitable[float | None]], i: int) -> None:
        try:
            latency = await op(i)
        except Exception as error:  # a timeout or a refused answer is a failure to count
            self.failures.append(f"{getattr(op, '__name__', op)}: {type(error).__name__}: {error}")
            return
        if latency is not None:
            self.latencies.append(latency / 1000)

    async def done_typing(self) -> None:
        while self.typing:
            await asyncio.gather(*self.typing)

    # -- more commands -----------------------------------------------------------------------

    async def tips(self, i: int) -> float:
        return self._answered("tips", await self.fake.slash("tips", user=next(self.users)))

    async def challenge(self, i: int) -> float:
        result = await self.fake.slash("challenge", user=next(self.users))
        return self._answered("challenge", result)

    def _word(self) -> str:
        return "".join(self.rng.choice("bdfgklmnprstvz") + self.rng.choice("aeiou") for _ in "abc")

    def _free(self, last: dict[str, float], every: float, besides: str = "") -> str | None:
        now = time.monotonic()
        for member, when in last.items():
            if now - when > every and member != besides:
                last[member] = now
                return member
        return None

    async def ask(self, i: int) -> float | None:
        """/ask opens the modal; the member types for a while (meanwhile this worker goes on
        with other interactions) and submits it: a question nobody asked before is posted (a
        write), the benchmark's drafts may find similar answered ones instead (a read)."""
        member = self._free(self.asked, ASK_EVERY_S)
        if member is None:  # every writer asked within the cooldown
            return await self.qa_search(i)
        opened = await self.fake.slash("ask", user=member)
        if opened.type != 9:
            self.failures.append(f"/ask by {member} did not open the modal: {opened.content}")
        else:
            task = asyncio.create_task(self.run(partial(self._submit, member, opened), i))
            self.typing.add(task)
            task.add_done_callback(self.typing.discard)
        return self._answered("ask", opened)

    async def _submit(self, member: str, opened: InteractionResult, i: int) -> float:
        await asyncio.sleep(TYPING_S)
        if i % 2:
            title = f"{self._word()} {self._word()} with {self._word()}?"
            details, tags = f"Every {self._word()} call hangs after the deploy.", ""
        else:
            draft = self.work.drafts[i % len(self.work.drafts)]
            title, details, tags = draft.title, draft.details, draft.tags
        values = {"qa:input:title": title, "qa:input:details": details, "qa:input:tags": tags}
        submitted = await self.fake.submit_modal(opened, values)
        self.asked[member] = time.monotonic()  # the bot's cooldown starts when it stores it
        message = submitted.message or {}
        posted = POSTED.search(str(message.get("content") or ""))
        if posted:
            self.writes += 1
            self.questions.append((int(posted.group(1)), member))
        elif not message.get("embeds"):  # the similar questions are an embed
            self.failures.append(f"/ask by {member}: neither posted nor similar: {submitted}")
        return self._answered("ask modal", submitted)

    async def answer(self, i: int) -> float | None:
        """/answer with its text: stored, the question's message redrawn, the asker notified."""
        if not self.questions:
            return await self.concept(i)
        question, asker = self.rng.choice(self.questions)
        member = self._free(self.answered, ANSWER_EVERY_S, besides=asker)
        if member is None:
            return await self.concept_ac(i)
        text = f"Pin {self._word()} first; that fixed {self._word()} for us."
        result = await self.fake.slash(
            "answer", {"question": str(question), "text": text}, user=member
        )
        self.answered[member] = time.monotonic()
        if "is posted" in str((result.message or {}).get("content") or ""):
            self.writes += 1
        else:
            self.failures.append(f"/answer by {member} was not posted: {result.content}")
        return self._answered("answer", result)

    def mix(self) -> list[Callable[[int], Awaitable[float | None]]]:
        weights: dict[Callable[[int], Awaitable[float | None]], int] = {
            self.concept: 6,
            self.concept_ac: 8,
            self.search: 4,
            self.tips: 3,
            self.challenge: 3,
            self.qa_search: 5,
            self.qa_ac: 5,
            self.ask: 2,
            self.answer: 2,
        }
        return [op for op, weight in weights.items() for _ in range(weight)]


@contextlib.contextmanager
def no_full_collections() -> Iterator[None]:
    """No full garbage collections in this process while the load runs.

    The emulator keeps every request, message and interaction it served: a minute of load is
    millions of objects, and each full collection walks them all, pausing this process (the
    emulator, which stamps when answers arrive) for up to 0.6 s. Those pauses would be counted
    as the bot's latency; Discord does not pause. Young objects are still collected.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], 1_000_000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.timeout(SECONDS + 120)
async def test_two_hundred_in_flight(remote: Remote) -> None:
    rng = random.Random(7)
    members = Members(remote, rng)
    mix = members.mix()
    counter = itertools.count()
    stop_at = time.monotonic() + SECONDS

    async def one() -> None:
        i = next(counter)
        await members.run(mix[rng.randrange(len(mix))], i)

    async def member() -> None:
        while time.monotonic() < stop_at:
            await one()

    await remote.bot.stalls()  # start-up is not part of the figures
    bot_cpu, own_cpu = remote.bot.cpu_seconds(), cpu_seconds()
    began = time.perf_counter()
    with no_full_collections():
        if SECONDS > 0:
            await asyncio.gather(*(member() for _ in range(IN_FLIGHT)))
        else:
            for _ in range(SHORT_WAVES):
                await asyncio.gather(*(one() for _ in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - began
        per_second = len(members.latencies) / elapsed
        bot_share = (remote.bot.cpu_seconds() - bot_cpu) / elapsed
        own_share = (cpu_seconds() - own_cpu) / elapsed
        await members.done_typing()  # the modals still being filled in are submitted
    stalls = await remote.bot.stalls()

    latencies = members.latencies
    held = len(latencies)
    p50, p99, worst = (
        statistics.median(latencies) * 1000,
        statistics.quantiles(latencies, n=100)[98] * 1000,
        max(latencies) * 1000,
    )
    print(
        f"\nload: {held} interactions held over {elapsed:.0f} s ({members.writes} writes), "
        f"{IN_FLIGHT} in flight, {per_second:.0f}/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
        f"max {worst:.0f} ms · CPU: bot {bot_share:.0%}, emulator {own_share:.0%} · "
        f"longest bot loop stall {stalls['max_stall_ms']:.0f} ms"
    )
    report(
        "load",
        interactions=held,
        writes=members.writes,
        per_second=round(per_second, 1),
        p50_ms=round(p50),
        p99_ms=round(p99),
        max_ms=round(worst),
    )
    assert members.failures == []
    assert held >= IN_FLIGHT * SHORT_WAVES
    late = [s for s in latencies if s >= DEADLINE_S]
    assert late == [], "every interaction answered inside Discord's 3 s"
