from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from bot.db.engine import Database
from bot.errors import BadInput
from bot.learnings.service import Found, LearningsService, Missing, Suggestions
from bot.learnings.sync import sync_content
from cogs.learnings.content import check_content
from tests.helpers import write_entry


@pytest.fixture
async def service(db: Database, tmp_path: Path) -> LearningsService:
    root = tmp_path / "content"
    write_entry(
        root,
        "jwt",
        title="JSON Web Tokens (JWT)",
        aliases=["jwt", "json web token"],
        body="Signed tokens for stateless auth. Use short expiry and refresh tokens.",
    )
    write_entry(
        root,
        "oauth",
        title="OAuth 2.0",
        aliases=["oauth2"],
        topic="security",
        body="Delegated authorization with access tokens.",
    )
    write_entry(
        root,
        "select-related-prefetch-related",
        title="select_related and prefetch_related",
        topic="django",
        body="Avoid N+1 queries: select_related joins, prefetch_related batches.",
    )
    write_entry(
        root,
        "celery-beat",
        title="Celery beat (periodic tasks)",
        aliases=["celery beat"],
        topic="async",
        body="Schedules periodic tasks. Use retries with backoff for flaky work.",
    )
    write_entry(
        root,
        "celery",
        title="Celery",
        topic="async",
        body="A distributed task queue. Workers consume tasks from RabbitMQ or Redis.",
    )
    write_entry(
        root,
        "ci-cd",
        title="CI/CD",
        aliases=["continuous integration"],
        topic="devops",
        body="Automate lint, tests and deploys on every push with GitHub Actions.",
    )
    write_entry(
        root,
        "nodejs-interop",
        title="Calling Node.js services",
        topic="apis",
        body="When a node.js service consumes your API, document it with OpenAPI. C++ too.",
    )
    write_entry(
        root,
        "cache-reads",
        kind="tip",
        title="Cache expensive reads",
        topic="caching",
        body="Cache expensive reads in Redis with a TTL.",
    )
    write_entry(
        root,
        "slow-celery",
        kind="challenge",
        title="Celery tasks fail silently",
        topic="async",
        body="## Problem\n\nTasks vanish.\n\n## Solution\n\nAdd retries.",
    )
    for i in range(40):
        write_entry(
            root,
            f"python-topic-{i}",
            title=f"Python topic number {i}",
            body=f"Filler entry {i} about python.",
        )
    report = check_content(root)
    assert report.ok, report.problems
    await sync_content(db, report.learnings)
    learnings = LearningsService(db)
    await learnings.refresh()
    return learnings


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("jwt", "jwt"),
        ("JWT", "jwt"),
        ("json web token", "jwt"),
        ("  Json   Web Token ", "jwt"),
        ("select_related and prefetch_related", "select-related-prefetch-related"),
        ("select-related-prefetch-related", "select-related-prefetch-related"),
        ("celery beat", "celery-beat"),
        ("oauth2", "oauth"),
        ("ouath 2.0", "oauth"),  # a typo with a clear winner answers directly
    ],
)
async def test_lookup_finds_the_entry(service: LearningsService, query: str, slug: str) -> None:
    result = service.lookup(query, "concept")
    assert isinstance(result, Found), result
    assert result.entry.slug == slug


async def test_lookup_suggests_when_unsure(service: LearningsService) -> None:
    result = service.lookup("celeri", "concept")
    assert isinstance(result, Suggestions)
    assert {"celery", "celery-beat"} <= {c.slug for c in result.candidates}
    assert len(result.candidates) <= 5


async def test_lookup_misses_kindly(service: LearningsService) -> None:
    assert isinstance(service.lookup("kubernetes operators", "concept"), Missing)
    with pytest.raises(BadInput):
        service.lookup("   ", "concept")


async def test_lookup_finds_other_kinds_by_exact_name(service: LearningsService) -> None:
    result = service.lookup("Cache expensive reads", "concept")
    assert isinstance(result, Found)
    assert result.entry.kind == "tip"


async def test_an_exact_name_of_another_kind_comes_after_the_kind_asked_for(
    service: LearningsService,
) -> None:
    """`/challenge celery`: Celery is a concept, so the Celery challenges are offered first."""
    result = service.lookup("celery", "challenge")
    assert isinstance(result, Suggestions)
    assert result.candidates[0].slug == "slow-celery"
    assert result.candidates[-1].slug == "celery"
    assert result.elsewhere is not None
    assert result.elsewhere.slug == "celery"
    assert all(c.kind == "challenge" for c in result.candidates[:-1])


async def test_an_exact_name_of_the_kind_asked_for_answers_directly(
    service: LearningsService,
) -> None:
    result = service.lookup("celery", "concept")
    assert isinstance(result, Found)
    assert result.entry.slug == "celery"
    assert isinstance(service.lookup("Celery tasks fail silently", "challenge"), Found)


async def test_suggest_is_capped_and_prefix_first(service: LearningsService) -> None:
    assert len(service.suggest("", "concept")) == 25
    assert len(service.suggest("python", "concept")) == 25
    assert service.suggest("cel", "concept")[0].slug == "celery"
    assert [e.slug for e in service.suggest("jw", "concept")][:1] == ["jwt"]
    assert all(e.kind == "challenge" for e in service.suggest("cel", "challenge"))


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "AND",
        "OR NOT",
        "NEAR(",
        "*",
        "-",
        "title:jwt",
        "(((",
        "'); DROP TABLE entries;--",
        "c++",
        "node.js",
        "ci/cd",
        "a" * 500,
        "🙂 emoji",
        "@everyone",
        "\u200b\u202e",
    ],
)
async def test_search_survives_any_text(service: LearningsService, query: str) -> None:
    try:
        page = await service.search(query)
    except BadInput:
        return
    assert page.total >= 0
    assert len(page.hits) <= 5


async def test_search_ranks_and_highlights(service: LearningsService) -> None:
    page = await service.search("celery retries")
    # Named "Celery", or holding both words: before any entry holding one of them only.
    assert {h.slug for h in page.hits[:3]} == {"celery", "celery-beat", "slow-celery"}
    assert "**" in page.hits[1].snippet
    node = await service.search("node.js")
    assert [h.slug for h in node.hits] == ["nodejs-interop"]
    cicd = await service.search("ci/cd")
    assert cicd.hits[0].slug == "ci-cd"


async def test_search_falls_back_to_any_word(service: LearningsService) -> None:
    page = await service.search("celery zzzunknownword")
    assert page.total >= 2


async def test_search_paginates_and_filters_kinds(service: LearningsService) -> None:
    first = await service.search("python", per_page=5)
    assert (first.total, first.pages) == (40, 8)
    last = await service.search("python", page=8, per_page=5)
    assert len(last.hits) == 5
    assert {h.slug for h in last.hits}.isdisjoint({h.slug for h in first.hits})
    tips = await service.search("redis", kinds=["tip"])
    assert [h.kind for h in tips.hits] == ["tip"]


async def test_empty_search_is_a_friendly_error(service: LearningsService) -> None:
    with pytest.raises(BadInput, match="Type a few words"):
        await service.search("  ... !!! ")


async def test_rotation_covers_everything_before_repeating(service: LearningsService) -> None:
    order = service.rotation("concept", "python", seed=42)
    assert len({e.slug for e in order}) == len(order) == 41
    assert order == service.rotation("concept", "python", seed=42)
    assert order != service.rotation("concept", "python", seed=43)


async def test_index_pages(service: LearningsService) -> None:
    page = service.index("concept", None, 1, per_page=12)
    assert (page.total, page.pages, len(page.entries)) == (47, 4, 12)
    assert service.index("concept", None, 99).page == page.pages
    assert service.index("concept", "async", 1).total == 2


async def test_widening_a_lookup_reads_no_snippets(service: LearningsService, db: Database) -> None:
    """`/concept retries`: no name says it, the learnings whose text does are suggested by name
    and summary; the index is not asked for snippets nobody sees (the costly part of a search:
    with 4,640 learnings it took a common word's statement from 5 to 18 ms)."""
    statements: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    result = await service.widen(service.lookup("retries", "concept"), "concept")
    assert isinstance(result, Suggestions)
    assert result.covers
    assert result.candidates[0].slug == "celery-beat"
    assert statements
    assert not [s for s in statements if "snippet(" in s]
