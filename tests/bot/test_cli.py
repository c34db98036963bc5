from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO, TOKEN, write_entry


def run(*args: str, cwd: Path = REPO, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_a_token_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    result = run(cwd=tmp_path, CONTENT_DIR=str(REPO / "content"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "nexus: configuration error: DISCORD_TOKEN: missing: set it to your bot's token "
        "(Discord Developer Portal > your app > Bot)"
    ]
    assert "Traceback" not in result.stderr


def test_bad_setting_is_named(tmp_path: Path) -> None:
    result = run(
        cwd=tmp_path,
        DISCORD_TOKEN="MTIzNDU2Nzg5MDEyMzQ1Njc4.GxYzAb.not-a-real-token-0123",
        DEV_GUILD_ID="my server",
        CONTENT_DIR=str(REPO / "content"),
    )
    assert result.returncode == 2
    assert "DEV_GUILD_ID" in result.stderr
    assert "not-a-real-token" not in result.stderr + result.stdout


def test_content_check_reports_problems_and_exit_1(tmp_path: Path) -> None:
    write_entry(tmp_path, "generators", related=["nowhere"])
    result = run("content", "check", "--dir", str(tmp_path))
    assert result.returncode == 1
    assert "concepts/generators.md:" in result.stdout
    assert "related 'nowhere' does not exist" in result.stdout


def test_content_check_passes_on_a_valid_tree(tmp_path: Path) -> None:
    write_entry(tmp_path, "generators")
    result = run("content", "check", "--dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "content OK: 1 concepts, 0 challenges, 0 tips" in result.stdout


def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    result = run(
        "db",
        "upgrade",
        cwd=tmp_path,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/sub/nexus.db",
        CONTENT_DIR=str(REPO / "content"),
    )
    assert result.returncode == 0, result.stderr
    assert "database at revision" in result.stdout
    assert (tmp_path / "sub" / "nexus.db").is_file()


def test_health_without_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    result = run("health", cwd=tmp_path, CONTENT_DIR=str(REPO / "content"))
    assert result.returncode == 1
    assert "no heartbeat" in result.stderr
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "heartbeat").touch()
    assert run("health", cwd=tmp_path, CONTENT_DIR=str(REPO / "content")).returncode == 0


@pytest.mark.finding("13 secrets echoed or inherited")
def test_the_bot_process_hands_no_token_to_the_processes_it_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Once the settings hold the token, the environment does not: the spec worker (and any
    other child process) starts without it."""
    import bot.__main__ as entry
    import bot.logs

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("CONTENT_DIR", str(REPO / "content"))
    monkeypatch.setattr(bot.logs, "setup_logging", lambda *args, **kwargs: None)
    seen: dict[str, str] = {}

    async def started(settings: Any, **options: Any) -> None:
        seen["settings"] = settings.discord_token
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import os; print(os.environ.get('DISCORD_TOKEN', '-'))",
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await child.communicate()
        seen["child"] = out.decode().strip()

    monkeypatch.setattr(entry, "_run", started)
    assert entry.main([]) == 0
    assert seen == {"settings": TOKEN, "child": "-"}
