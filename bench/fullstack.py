"""The full stack: the real bot in its own process, the emulator here, users' interactions
timed from the INTERACTION_CREATE being sent to the bot's answer arriving (the bot is
launched by bench/launcher.py)."""

from __future__ import annotations

import asyncio
import itertools
import resource
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bench.launcher import BotProcess
from bench.stats import Summary
from bench.workload import Workload, nth
from cogs._kit.gate import SLOW_DOWN
from localdiscord.emulator import FakeDiscord, FakeMember, FakeUser, InteractionResult, Upload
from localdiscord.emulator.state import PendingInteraction

DISCORD_DEADLINE_S = 3.0
# The members the load is spread over, as on a server: the bot limits what one member may ask
# at a time (cogs/_kit/gate.py), and none of these acts more than a few times a second.
MEMBERS = 200
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AnswerClock:
    """When the bot's answers reach the emulator: the first interaction callback, follow-up
    and edit of each interaction (by token), stamped as the request arrives."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.callback: dict[str, float] = {}
        self.followup: dict[str, float] = {}
        self.edit: dict[str, float] = {}
        rest = fake.rest  # routes are bound when the emulator starts: wrap before that
        rest.interaction_callback = self._wrap(rest.interaction_callback, self.callback)  # type: ignore[method-assign,assignment]
        rest.execute_webhook = self._wrap(rest.execute_webhook, self.followup)  # type: ignore[method-assign,assignment]
        rest.edit_webhook_message = self._wrap(rest.edit_webhook_message, self.edit)  # type: ignore[method-assign,assignment]

    @staticmethod
    def _wrap(original: Handler, stamps: dict[str, float]) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            stamps.setdefault(request.match_info.get("token", ""), time.monotonic())
            return await original(request)

        return handler

    def clear(self) -> None:
        self.callback.clear()
        self.followup.clear()
        self.edit.clear()


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _ms(seconds: float) -> float:
    return seconds * 1000


def add_members(fake: FakeDiscord, count: int, prefix: str = "reader") -> list[str]:
    """`count` plain members of the emulator's guild beyond its five (keys `prefix0`,
    `prefix1`...), for a load spread over many people. Added before the bot connects."""
    guild = fake.guild
    joined = datetime(2023, 1, 1, tzinfo=UTC)
    keys = []
    for n in range(count):
        key = f"{prefix}{n}"
        user = FakeUser(
            id=fake.world.snowflakes.at(joined + timedelta(minutes=n)),
            username=f"{prefix}_{n}",
            global_name=f"{prefix.title()} {n}",
            key=key,
        )
        fake.world.users[key] = user
        guild.members[user.id] = FakeMember(user=user, role_ids=[], joined_at=joined)
        keys.append(key)
    return keys


class Driver:
    """Members using the bot through the emulator, each interaction by the next of `members`;
    each call returns its latency in ms."""

    def __init__(
        self, fake: FakeDiscord, clock: AnswerClock, work: Workload, members: Sequence[str]
    ) -> None:
        self.fake = fake
        self.clock = clock
        self.work = work
        self.outcomes: dict[str, dict[str, int]] = {}
        self.users = itertools.cycle(members)

    def _count(self, op: str, outcome: str) -> None:
        bucket = self.outcomes.setdefault(op, {})
        bucket[outcome] = bucket.get(outcome, 0) + 1

    @staticmethod
    def _not_slowed(op: str, result: InteractionResult) -> None:
        if result.ephemeral and (result.content or "").startswith(SLOW_DOWN):
            raise RuntimeError(
                f"{op}: the bot told a member to slow down; spread the load over more members "
                "(MEMBERS) so that it measures answers, not refusals"
            )

    def _answered(self, op: str, result: InteractionResult) -> float:
        self._not_slowed(op, result)
        if result.errors:
            self._count(op, "rejected by Discord rules")
        self._count(op, "ephemeral" if result.ephemeral else "public")
        return _ms(self.clock.callback[result.token] - result.pending.created)

    async def _autocomplete(
        self, command: str, options: dict[str, Any], focused: str
    ) -> PendingInteraction:
        # `fake.autocomplete` returns only the choices; the pending interaction (its token and
        # when it was sent) comes from the same driver steps it takes.
        d = self.fake.driver
        who, where, home, member = d._where(next(self.users), "general", None)
        data = d._command_data(command, options, home, where, member, focused=focused, strict=False)
        pending = d._payload(4, data, who, where, home, member)
        result = await d._run(pending, f"autocomplete of /{command}", None, False)
        if result.type != 8:
            raise AssertionError(f"autocomplete of /{command} answered with type {result.type}")
        return pending

    def _choices(self, op: str, pending: PendingInteraction) -> float:
        choices = (pending.callback_data or {}).get("choices") or []
        self._count(op, "choices" if choices else "no choices")
        return _ms(self.clock.callback[pending.token] - pending.created)

    async def _slash(self, op: str, options: dict[str, Any]) -> float:
        """/`op` (the operation is named after its command) with `options`; its latency."""
        return self._answered(op, await self.fake.slash(op, options, user=next(self.users)))

    async def _suggest(self, op: str, command: str, options: dict[str, Any], focused: str) -> float:
        """The autocomplete of `focused` in /`command`; its latency."""
        return self._choices(op, await self._autocomplete(command, options, focused))

    async def concept(self, i: int) -> float:
        return await self._slash("concept", {"name": nth(self.work.concept_names, i)})

    async def concept_ac(self, i: int) -> float:
        typed = nth(self.work.concept_typed, i)
        return await self._suggest("concept autocomplete", "concept", {"name": typed}, "name")

    async def search(self, i: int) -> float:
        return await self._slash("search", {"query": nth(self.work.searches, i)})

    async def qa_search(self, i: int) -> float:
        return await self._slash("qa search", {"query": nth(self.work.qa_searches, i)})

    async def qa_ac(self, i: int) -> float:
        typed = nth(self.work.qa_typed, i)
        return await self._suggest("qa autocomplete", "qa show", {"question": typed}, "question")

    async def ask_similar(self, i: int) -> float:
        """/ask opens the modal; the timed step is the modal's submission up to the answer
        showing similar answered questions (the response itself when they are found in time;
        a follow-up after a deferral otherwise, and when nothing similar is found and the
        question is posted)."""
        draft = nth(self.work.drafts, i)
        for _ in range(5):
            opened = await self.fake.slash("ask", user=next(self.users))
            self._not_slowed("ask similar", opened)
            if opened.type == 9:
                break
            self._count("ask similar", "on cooldown, next member")
        else:
            raise RuntimeError("every member is on /ask cooldown: similar questions not found")
        values = {
            "qa:input:title": draft.title,
            "qa:input:details": draft.details,
            "qa:input:tags": draft.tags,
        }
        submitted = await self.fake.submit_modal(opened, values)
        content = str((submitted.message or {}).get("content") or "")
        self._count("ask similar", "posted (nothing similar)" if "📨" in content else "similar")
        answered = self.clock.followup.get(submitted.token) or self.clock.callback[submitted.token]
        return _ms(answered - submitted.pending.created)

    async def spec_endpoint(self, i: int) -> float:
        spec, ref = nth(self.work.spec_refs, i)
        return await self._slash("spec endpoint", {"spec": spec, "endpoint": ref[:200]})

    async def spec_ac(self, i: int) -> float:
        spec, typed = nth(self.work.spec_typed, i)
        options = {"spec": spec, "endpoint": typed}
        return await self._suggest("spec autocomplete", "spec endpoint", options, "endpoint")

    def operations(self) -> dict[str, Callable[[int], Awaitable[float]]]:
        ops: dict[str, Callable[[int], Awaitable[float]]] = {
            "concept": self.concept,
            "concept autocomplete": self.concept_ac,
            "search": self.search,
            "qa search": self.qa_search,
            "qa autocomplete": self.qa_ac,
            "ask similar": self.ask_similar,
        }
        if self.work.spec_refs:
            ops["spec endpoint"] = self.spec_endpoint
            ops["spec autocomplete"] = self.spec_ac
        return ops

    async def spec_import(self, name: str, filename: str, data: bytes) -> dict[str, Any]:
        result = await self.fake.slash(
            "spec import",
            {"name": name, "file": Upload(filename, data)},
            user="admin",
            timeout=300,
        )
        embeds = result.embeds
        stamp = self.clock.edit.get(result.token) or self.clock.followup.get(result.token)
        return {
            "seconds": round((stamp or time.monotonic()) - result.pending.created, 3),
            "deferred_ms": round(
                _ms(self.clock.callback[result.token] - result.pending.created), 2
            ),
            "title": embeds[0].get("title") if embeds else result.content,
            "errors": result.errors,
        }

    def forget(self) -> None:
        """Drop what the emulator keeps of finished interactions (it keeps everything)."""
        world = self.fake.world
        world.requests.clear()
        world.sent_bodies.clear()
        world.interactions.clear()
        for messages in world.messages.values():
            messages.clear()
        world.message_index.clear()
        self.clock.clear()


async def run_scenario(
    bot: BotProcess, call: Callable[[int], Awaitable[float]], runs: int, warmup: int
) -> dict[str, Any]:
    for i in range(warmup):
        await call(i)
    await bot.stalls()  # resets the maximum: only the measured runs count
    samples = [await call(warmup + i) for i in range(runs)]
    stall = await bot.stalls()
    return {
        **Summary.of(samples).as_dict(),
        "over_3s": sum(1 for s in samples if s > DISCORD_DEADLINE_S * 1000),
        "max_stall_ms": round(stall["max_stall_ms"], 2),
        "gc": {k: v for k, v in stall.items() if k.startswith("gc_")},
        "longest_step_ms": stall.get("longest_step_ms"),
        "longest_step": stall.get("longest_step"),
    }


async def run_throughput(
    bot: BotProcess,
    ops: dict[str, Callable[[int], Awaitable[float]]],
    total: int,
    in_flight: int,
) -> dict[str, Any]:
    """`in_flight` members at once, each sending its next interaction as soon as the last one
    was answered, over a mix of lookups, searches and autocompletes."""
    weights = {
        "concept": 3,
        "concept autocomplete": 5,
        "search": 1,
        "qa search": 2,
        "qa autocomplete": 3,
        "spec endpoint": 1,
        "spec autocomplete": 2,
    }
    mix = [name for name, weight in weights.items() if name in ops for _ in range(weight)]
    counter = itertools.count()
    samples: list[float] = []

    async def member() -> None:
        while (i := next(counter)) < total:
            samples.append(await ops[nth(mix, i)](1000 + i))

    await bot.stalls()
    cpu_bot, cpu_self = bot.cpu_seconds(), _self_cpu()
    begin = time.monotonic()
    await asyncio.gather(*(member() for _ in range(in_flight)))
    elapsed = time.monotonic() - begin
    stall = await bot.stalls()
    return {
        "in_flight": in_flight,
        "interactions": len(samples),
        "seconds": round(elapsed, 3),
        "per_second": round(len(samples) / elapsed, 1),
        "latency": Summary.of(samples).as_dict(),
        "over_3s": sum(1 for s in samples if s > DISCORD_DEADLINE_S * 1000),
        "max_stall_ms": round(stall["max_stall_ms"], 2),
        "gc": {k: v for k, v in stall.items() if k.startswith("gc_")},
        "longest_step_ms": stall.get("longest_step_ms"),
        "longest_step": stall.get("longest_step"),
        "bot_cpu_share": round((bot.cpu_seconds() - cpu_bot) / elapsed, 2),
        "emulator_cpu_share": round((_self_cpu() - cpu_self) / elapsed, 2),
        "mix": {name: weights[name] for name in weights if name in ops},
    }
