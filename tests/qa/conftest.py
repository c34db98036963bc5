"""The Q&A service on the test's database with a clock the tests move (`Clock`)."""

from __future__ import annotations

import pytest

from bot.db.engine import Database
from bot.qa.service import QaService
from tests.qa.test_qa_service import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def qa(db: Database, clock: Clock) -> QaService:
    return QaService(db, clock=clock)
