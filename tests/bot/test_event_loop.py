"""The running bot's event loop: uvloop's where it is installed, asyncio's otherwise."""

from __future__ import annotations

import asyncio
import sys
import types

import pytest

from bot.__main__ import event_loop_factory


def test_the_bot_runs_on_uvloop_when_it_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    def new_event_loop() -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    monkeypatch.setitem(sys.modules, "uvloop", types.SimpleNamespace(new_event_loop=new_event_loop))
    assert event_loop_factory() is new_event_loop


def test_the_bot_runs_on_asyncio_s_loop_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError
    assert event_loop_factory() is None


def test_importing_the_operator_commands_installs_no_loop_policy() -> None:
    """pytest-asyncio and the operator commands keep asyncio's default loop."""
    assert type(asyncio.get_event_loop_policy()).__module__.startswith("asyncio")
