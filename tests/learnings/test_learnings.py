"""/concept, /challenge, /tips and /search through the real bot and the local Discord."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.harness import Harness


def title(result: object) -> str:
    embeds = getattr(result, "embeds")  # noqa: B009 - InteractionResult or a message's view
    return str(embeds[0]["title"])


async def test_concept_answers_publicly_with_related_buttons(nexus: Harness) -> None:
    result = await nexus.fake.slash("concept", {"name": "jwt"})
    assert not result.ephemeral
    assert "JSON Web Tokens" in title(result)
    related = [c for c in result.custom_ids() if c.startswith("learn:open:e:")]
    assert related, "related entries are offered as buttons"
    opened = await result.click(related[0])
    assert opened.ephemeral
    assert opened.embeds


async def test_autocomplete_is_fast_capped_and_forgiving(nexus: Harness) -> None:
    choices = await nexus.fake.autocomplete("concept", {"name": ""}, focused="name")
    assert 0 < len(choices) <= 25
    typo = await nexus.fake.autocomplete("concept", {"name": "decoratr"}, focused="name")
    assert typo[0]["value"] == "python-decorators"
    for choice in typo:
        assert 1 <= len(choice["name"]) <= 100
        assert len(choice["value"]) <= 100


async def test_a_typo_with_a_clear_winner_answers_directly(nexus: Harness) -> None:
    result = await nexus.fake.slash("concept", {"name": "dockr"})
    assert title(result).endswith("Docker")
    assert not result.ephemeral


async def test_did_you_mean_offers_buttons_that_answer(nexus: Harness) -> None:
    result = await nexus.fake.slash("concept", {"name": "relationships"})
    assert result.ephemeral
    assert title(result) == "Did you mean…"
    picks = [c for c in result.custom_ids() if c.startswith("learn:open:p:")]
    assert 2 <= len(picks) <= 5
    answer = await result.click(picks[0])
    assert not answer.ephemeral
    assert answer.embeds[0]["title"]


async def test_a_challenge_named_like_a_concept_offers_challenges_first(nexus: Harness) -> None:
    result = await nexus.fake.slash("challenge", {"name": "celery"})
    assert result.ephemeral
    assert title(result) == "Did you mean…"
    description = result.embeds[0]["description"]
    assert description.startswith("`celery` names a concept (last below). Challenges close to it:")
    picks = [c for c in result.custom_ids() if c.startswith("learn:open:p:")]
    assert picks[-1] == "learn:open:p:celery"
    first = await result.click(picks[0])
    assert first.embeds[0]["title"].startswith("🧩")


async def test_nothing_close_is_said_kindly_and_points_to_search(nexus: Harness) -> None:
    result = await nexus.fake.slash("concept", {"name": "quantum basket weaving"})
    assert result.ephemeral
    assert "/search" in (result.content or "")


async def test_hostile_names_are_harmless(nexus: Harness) -> None:
    for name in [
        "@everyone",
        "<@&123456789012345678>",
        "'; DROP TABLE entries;--",
        "```",
        "\u202e",
    ]:
        result = await nexus.fake.slash("concept", {"name": name})
        assert result.ephemeral, name
        assert result.errors == []


async def test_concept_without_a_name_is_a_browsable_index(nexus: Harness) -> None:
    result = await nexus.fake.slash("concept")
    assert title(result).startswith("📚 Concepts")
    assert "page 1/" in result.embeds[0]["footer"]["text"]
    nxt = next(c for c in result.custom_ids() if c.startswith("learn:index:") and c.endswith(":2"))
    page_two = await result.click(nxt)
    assert "page 2/" in page_two.message["embeds"][0]["footer"]["text"]  # type: ignore[index]
    chosen = await result.select("learn:topic:concept", ["caching"])
    message = chosen.message
    assert message is not None
    assert "Caching" in message["embeds"][0]["title"]


async def test_long_entries_page_without_cutting_code(nexus: Harness) -> None:
    long_entry = max(nexus.bot.services.learnings.all("concept"), key=lambda e: len(e.body))
    result = await nexus.fake.slash("concept", {"name": long_entry.slug})
    pages = [result.embeds[0]["description"]]
    ids = result.custom_ids()
    assert any(c.startswith("learn:page:") for c in ids), "the longest entry has pages"
    turned = await result.click(f"learn:page:{long_entry.slug}:2")
    assert turned.message is not None
    pages.append(turned.message["embeds"][0]["description"])
    for page in pages:
        assert page.count("```") % 2 == 0


async def test_challenge_by_name_topic_and_random(nexus: Harness) -> None:
    named = await nexus.fake.slash("challenge", {"name": "works on my machine"})
    assert "Works on my machine" in title(named)
    by_topic = await nexus.fake.slash("challenge", {"topic": "devops"})
    slug = by_topic.embeds[0]["title"]
    devops_titles = {e.title for e in nexus.bot.services.learnings.all("challenge", "devops")}
    assert any(t in slug for t in devops_titles)
    anything = await nexus.fake.slash("challenge")
    assert "🧩" in title(anything)
    names = await nexus.fake.autocomplete("challenge", {"name": "docker"}, focused="name")
    assert names
    assert all(nexus.bot.services.learnings.get(c["value"]).kind == "challenge" for c in names)  # type: ignore[union-attr]


async def test_another_tip_does_not_repeat_until_the_topic_is_exhausted(nexus: Harness) -> None:
    topic_tips = nexus.bot.services.learnings.all("tip", "caching")
    result = await nexus.fake.slash("tips", {"topic": "caching"})
    seen = [title(result)]
    message = result
    for _ in range(len(topic_tips) - 1):
        button = next(c for c in message.custom_ids() if c.startswith("tips:next:"))
        message = await message.click(button)
        assert message.message is not None
        seen.append(message.message["embeds"][0]["title"])
    assert len(set(seen)) == len(topic_tips)


async def test_search_pages_and_opens_results(nexus: Harness) -> None:
    result = await nexus.fake.slash("search", {"query": "cache"})
    assert not result.ephemeral
    embed = result.embeds[0]
    assert embed["fields"]
    assert "**" in embed["fields"][0]["value"]
    nxt = next(c for c in result.custom_ids() if c.startswith("search:a:2:"))
    turned = await result.click(nxt)
    assert turned.message is not None
    assert "page 2/" in turned.message["embeds"][0]["footer"]["text"]
    hit = result.component("search:open")["options"][0]["value"]
    opened = await result.select("search:open", [hit])
    assert opened.embeds[0]["title"]


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "AND OR NOT", "c++", "node.js", "ci/cd", "NEAR(a b)", "-", "*", "@everyone"],
)
async def test_search_accepts_any_text(nexus: Harness, query: str) -> None:
    result = await nexus.fake.slash("search", {"query": query})
    assert result.errors == []
    assert result.embeds or result.content


async def test_search_with_nothing_searchable_is_a_friendly_ephemeral_error(nexus: Harness) -> None:
    result = await nexus.fake.slash("search", {"query": "!!! ..."})
    assert result.ephemeral
    assert "Type a few words" in (result.content or "")


async def test_search_filters_by_kind(nexus: Harness) -> None:
    result = await nexus.fake.slash("search", {"query": "redis", "kind": "t"})
    assert all(f["name"].startswith("💡") for f in result.embeds[0]["fields"])


async def test_a_search_slower_than_discord_allows_is_deferred_then_answered(
    nexus: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database busy for 2.6 s: Nexus says it is thinking before the 3 s are up, then answers."""
    from bot.learnings.service import LearningsService

    search = LearningsService.search

    async def slow_search(self: LearningsService, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(2.6)
        return await search(self, *args, **kwargs)

    monkeypatch.setattr(LearningsService, "search", slow_search)
    result = await nexus.fake.slash("search", {"query": "celery retries"})
    assert result.errors == []
    assert result.type == 5  # deferred: "Nexus is thinking…"
    assert not result.ephemeral
    assert title(result).startswith("🔎")

    monkeypatch.setattr(LearningsService, "search", search)
    quick = await nexus.fake.slash("search", {"query": "celery retries"})
    assert quick.type == 4  # answered at once: one request, no deferral
