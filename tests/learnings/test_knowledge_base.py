"""The shipped knowledge base: valid, complete for every topic the learners' notes name."""

from __future__ import annotations

import pytest

from bot.db.engine import Database
from bot.learnings.check import ContentReport
from bot.learnings.model import TOPICS
from bot.learnings.service import Found, LearningsService
from bot.learnings.sync import sync_content
from cogs.learnings.content import check_content
from tests.helpers import CONTENT

# What a learner types for each technology and concept in the program's notes -> the entry.
SEED_TOPICS = {
    "python": "python",
    "oop": "python-oop",
    "generators": "python-generators",
    "decorators": "python-decorators",
    "context managers": "python-context-managers",
    "async/await": "asyncio",
    "django": "django",
    "django orm": "django-orm",
    "models": "django-models",
    "middleware": "django-middleware",
    "signals": "django-signals",
    "django admin": "django-admin",
    "drf": "django-rest-framework",
    "serializers": "drf-serializers",
    "viewsets": "drf-viewsets",
    "routers": "drf-routers",
    "drf permissions": "drf-permissions",
    "throttling": "drf-throttling",
    "pagination": "api-pagination",
    "filtering": "drf-filtering",
    "versioning": "api-versioning",
    "rest": "rest-api-design",
    "graphql": "graphql",
    "resolvers": "graphql",
    "rest vs graphql": "rest-vs-graphql",
    "n+1": "n-plus-one-queries",
    "docker": "docker",
    "dockerfile": "dockerfile",
    "multi-stage builds": "multi-stage-builds",
    "docker compose": "docker-compose",
    "docker networking": "docker-networking",
    "ci/cd": "ci-cd",
    "github actions": "github-actions",
    "matrix": "matrix-builds",
    "jenkins": "jenkins",
    "postgresql": "postgresql",
    "mysql": "mysql",
    "normalization": "normalization",
    "erd": "erd",
    "django relationships": "django-relationships",
    "foreign key": "django-relationships",
    "constraints": "database-constraints",
    "indexing": "database-indexing",
    "migrations": "database-migrations",
    "query optimization": "query-optimization",
    "select_related": "select-related-prefetch-related",
    "prefetch_related": "select-related-prefetch-related",
    "annotations": "orm-annotations",
    "denormalization": "denormalization",
    "asyncio": "asyncio",
    "event loop": "event-loop",
    "async views": "django-async-views",
    "async vs sync": "async-vs-sync",
    "celery": "celery",
    "rabbitmq": "message-brokers",
    "celery beat": "celery-beat",
    "celery retries": "celery-retries",
    "flower": "flower",
    "caching": "caching",
    "redis": "redis",
    "memcached": "memcached",
    "per-view cache": "django-cache-framework",
    "http caching": "http-caching",
    "cache invalidation": "cache-invalidation",
    "ttl": "cache-invalidation",
    "authentication": "authentication",
    "sessions": "session-authentication",
    "jwt": "jwt",
    "oauth": "oauth",
    "rbac": "role-based-access-control",
    "input validation": "input-validation",
    "secrets": "secrets-management",
    "least privilege": "least-privilege",
    "pytest": "pytest",
    "unit tests": "unit-vs-integration-tests",
    "integration tests": "unit-vs-integration-tests",
    "tdd": "tdd",
    "mocking": "mocking",
    "coverage": "test-coverage",
    "openapi": "openapi",
    "swagger": "openapi",
    "drf-spectacular": "drf-spectacular",
    "chapa": "payment-integration",
    "webhooks": "webhooks",
    "idempotency": "idempotency",
    "cron": "cron-jobs",
    "system design": "system-design",
    "load balancing": "load-balancing",
    "horizontal scaling": "scalability",
    "microservices": "microservices",
    "kubernetes": "kubernetes",
    "git-flow": "git-flow",
    "environment parity": "environment-parity",
    "rate limiting": "rate-limiting",
    "logging": "logging",
    "monitoring": "monitoring",
    "virtual environments": "virtual-environments",
    "data seeding": "data-seeding",
    "loaddata": "data-seeding",
}


@pytest.fixture(scope="module")
def report() -> ContentReport:
    return check_content(CONTENT)


@pytest.fixture
async def learnings(db: Database, report: ContentReport) -> LearningsService:
    await sync_content(db, report.learnings)
    service = LearningsService(db)
    await service.refresh()
    return service


def test_content_is_valid(report: ContentReport) -> None:
    assert [str(p) for p in report.problems] == []


def test_counts_by_kind(report: ContentReport) -> None:
    kinds = [e.kind for e in report.learnings]
    assert kinds.count("concept") >= 40
    assert kinds.count("challenge") >= 15
    assert kinds.count("tip") >= 60


def test_every_topic_has_concepts_and_tips(report: ContentReport) -> None:
    for topic in TOPICS:
        kinds = {e.kind for e in report.learnings if e.topic == topic}
        assert {"concept", "tip"} <= kinds, topic


async def test_every_seed_topic_resolves(learnings: LearningsService) -> None:
    wrong = {}
    for typed, slug in SEED_TOPICS.items():
        result = learnings.lookup(typed, "concept")
        if not isinstance(result, Found) or result.entry.slug != slug:
            wrong[typed] = result
    assert wrong == {}


def test_concepts_have_the_sections_a_learner_needs(report: ContentReport) -> None:
    for entry in report.learnings:
        if entry.kind == "concept":
            for section in ("## What it is", "## When to use it", "## Pitfalls"):
                assert section in entry.body, (entry.slug, section)
        if entry.kind == "challenge":
            for section in ("## Problem", "## Solution"):
                assert section in entry.body, (entry.slug, section)
