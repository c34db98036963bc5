"""`python -m bot doctor`: one line per check, ✔ or ✖, exit 1 on any ✖; on a healthy set-up
against the local Discord, and on set-ups broken one way at a time."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from localdiscord.emulator import FakeDiscord
from tests.helpers import CONTENT, REPO, TOKEN, write_entry
from tests.postgres import PostgresDatabases

# `python -m bot doctor ...` with discord.py's REST base replaced by argv[1].
POINTED = (
    "import runpy, sys, discord.http; "
    "discord.http.Route.BASE = sys.argv[1]; "
    "sys.argv = ['bot', *sys.argv[2:]]; "
    "runpy.run_module('bot', run_name='__main__')"
)


async def doctor(folder: Path, api: str, *args: str, **values: str) -> tuple[int, list[str]]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    env = {
        **clean,
        "PYTHONPATH": str(REPO),
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'nexus.db'}",
        "CONTENT_DIR": str(CONTENT),
        **values,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        POINTED,
        api,
        "doctor",
        *args,
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert err.decode() == "", err.decode()
    assert process.returncode is not None
    return process.returncode, out.decode().splitlines()


async def upgraded(folder: Path) -> Path:
    database = folder / "nexus.db"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "db",
        "upgrade",
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"},
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await process.wait() == 0
    return database


def line(lines: list[str], name: str) -> str:
    found = [entry for entry in lines if entry[2:].startswith(f"{name}: ")]
    assert len(found) == 1, (name, lines)
    return found[0]


async def test_a_healthy_set_up_is_all_ticks_exit_0(tmp_path: Path, fake: FakeDiscord) -> None:
    await upgraded(tmp_path)
    status, lines = await doctor(tmp_path, fake.base_url)
    assert status == 0, lines
    assert [entry[:2] for entry in lines] == ["✔ "] * len(lines)
    names = [entry[2:].split(":", 1)[0] for entry in lines]
    assert names == [
        "settings",
        "token",
        "database",
        "migrations",
        "integrity",
        "disk",
        "content",
        "Discord",
        "login",
    ]
    assert "at the newest revision" in line(lines, "migrations")
    assert "concepts" in line(lines, "content")
    assert "accepts the token" in line(lines, "login")
    assert TOKEN not in "\n".join(lines)


async def test_a_fresh_machine_is_healthy_before_the_first_start(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    status, lines = await doctor(tmp_path, fake.base_url)
    assert status == 0, lines
    assert "the first start creates it" in line(lines, "database")
    assert not (tmp_path / "nexus.db").exists(), "the doctor only looks"


async def test_a_broken_set_up_is_named_check_by_check_exit_1(tmp_path: Path) -> None:
    database = await upgraded(tmp_path)
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    write_entry(tmp_path / "content", "generators", related=["nowhere"])
    async with FakeDiscord(
        token="OTg3NjU0MzIxMDk4NzY1NDMy.GhIjKl.another-bots-token-0123"
    ) as other:
        status, lines = await doctor(
            tmp_path, other.base_url, CONTENT_DIR=str(tmp_path / "content")
        )
    assert status == 1
    assert line(lines, "settings").startswith("✔")
    assert line(lines, "token").startswith("✔"), "its shape is right; Discord refuses it"
    assert line(lines, "migrations").startswith("✖ migrations: the database is at 9999")
    assert line(lines, "content").startswith("✖ content: 1 problem")
    assert line(lines, "Discord").startswith("✔")
    assert line(lines, "login").startswith("✖ login: Discord refused DISCORD_TOKEN (401")


async def test_a_malformed_token_and_an_unreadable_database(tmp_path: Path) -> None:
    (tmp_path / "nexus.db").write_bytes(b"this is not a database file at all, " * 200)
    status, lines = await doctor(tmp_path, "http://127.0.0.1:9/api/v10", DISCORD_TOKEN="abc")
    assert status == 1
    assert line(lines, "token").startswith("✖ token: expected a bot token: three parts")
    assert "abc" not in line(lines, "token")
    assert line(lines, "database").startswith("✖ database: ")
    assert "not a database" in line(lines, "database")
    assert line(lines, "Discord").startswith("– Discord: not checked")


async def test_no_route_to_discord_is_one_line(tmp_path: Path) -> None:
    status, lines = await doctor(tmp_path, "http://127.0.0.1:9/api/v10")
    assert status == 1
    assert line(lines, "Discord").startswith(
        "✖ Discord: cannot connect to 127.0.0.1 port 9 (Connection refused)"
    )
    assert line(lines, "login").startswith("– login: not checked")


async def test_offline_checks_all_but_discord(tmp_path: Path) -> None:
    status, lines = await doctor(tmp_path, "http://127.0.0.1:9/api/v10", "--offline")
    assert status == 0, lines
    assert line(lines, "Discord") == "– Discord: not checked (--offline)"


async def test_a_bad_setting_is_the_one_line(tmp_path: Path) -> None:
    status, lines = await doctor(tmp_path, "http://127.0.0.1:9/api/v10", LOG_LEVEL="loud")
    assert status == 1
    assert lines[0].startswith("✖ settings: LOG_LEVEL: expected one of")


# -- PostgreSQL: the database answers, its migrations, its search tables, pg_dump -------------


def with_password(url: str) -> str:
    """The test server trusts every local connection: a password is accepted and ignored."""
    return url.replace("postgres@", "postgres:s3cret-word@")


async def test_a_healthy_postgresql_set_up(postgres: PostgresDatabases, tmp_path: Path) -> None:
    async with postgres.migrated() as url:
        status, lines = await doctor(
            tmp_path,
            "http://127.0.0.1:9/api/v10",
            "--offline",
            DATABASE_URL=with_password(url),
            BACKUP_DIR=str(tmp_path / "backups"),
        )
    assert status == 0, lines
    names = [entry[2:].split(":", 1)[0] for entry in lines]
    assert names == [
        "settings",
        "token",
        "database",
        "migrations",
        "search",
        "backups",
        "content",
        "Discord",
        "login",
    ]
    assert line(lines, "database").startswith("✔ database: postgresql+asyncpg://postgres:***@")
    assert "answers (PostgreSQL " in line(lines, "database")
    assert "at the newest revision" in line(lines, "migrations")
    assert (
        line(lines, "search") == "✔ search: the search tables entries_search, qa_search are there"
    )
    assert line(lines, "backups").startswith("✔ backups: pg_dump found (")
    assert "s3cret-word" not in "\n".join(lines), "the password is never shown"


async def test_a_fresh_postgresql_database_is_healthy_before_the_first_start(
    postgres: PostgresDatabases, tmp_path: Path
) -> None:
    async with postgres.empty() as url:
        status, lines = await doctor(tmp_path, "http://127.0.0.1:9/api/v10", "--offline",
                                     DATABASE_URL=url)  # fmt: skip
    assert status == 0, lines
    assert "none applied yet" in line(lines, "migrations")
    assert line(lines, "search").startswith("– search: not checked: the first start creates")


async def test_a_broken_postgresql_set_up_is_named(
    postgres: PostgresDatabases, tmp_path: Path
) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    async with postgres.migrated() as url:
        address = make_url(url)
        conn = await asyncpg.connect(
            host=address.host, port=address.port, user=address.username, database=address.database
        )
        await conn.execute("DROP TABLE qa_search; UPDATE alembic_version SET version_num='9999'")
        await conn.close()
        bare = tmp_path / "bin"
        bare.mkdir()
        status, lines = await doctor(
            tmp_path,
            "http://127.0.0.1:9/api/v10",
            "--offline",
            DATABASE_URL=url,
            BACKUP_DIR=str(tmp_path / "backups"),
            PATH=str(bare),  # no pg_dump
        )
    assert status == 1
    assert line(lines, "database").startswith("✔")
    assert line(lines, "migrations").startswith("✖ migrations: the database is at 9999")
    assert line(lines, "search").startswith("✖ search: the search tables qa_search are missing")
    assert line(lines, "backups").startswith(
        "✖ backups: BACKUP_DIR is set but pg_dump is not installed"
    )

    unreachable = "postgresql+asyncpg://nexus:s3cret-word@127.0.0.1:9/nexus"
    status, lines = await doctor(tmp_path, "http://127.0.0.1:9/api/v10", "--offline",
                                 DATABASE_URL=unreachable)  # fmt: skip
    assert status == 1
    assert line(lines, "database").startswith("✖ database: postgresql+asyncpg://nexus:***@")
    assert "cannot be reached" in line(lines, "database")
    assert "s3cret-word" not in "\n".join(lines)
