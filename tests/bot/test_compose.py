"""The compose files, read: the bot's data volume, and PostgreSQL beside it
(compose.postgres.yaml) with a healthcheck the bot waits for and an address the bot accepts."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.config import load_settings
from tests.helpers import CONTENT, REPO, TOKEN
from tests.postgres import PostgresDatabases, binaries


def compose(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def interpolate(value: str, environ: dict[str, str]) -> str:
    """Compose's `${NAME}` and `${NAME:?message}`, as `docker compose` fills them in."""

    def one(match: re.Match[str]) -> str:
        name, _, required = match.group(1).partition(":?")
        if name not in environ:
            raise ValueError(required or f"{name} is not set")
        return environ[name]

    return re.sub(r"\$\{([^}]+)\}", one, value)


def test_postgres_runs_beside_the_bot_which_waits_until_it_is_healthy() -> None:
    base, extra = compose("compose.yaml"), compose("compose.postgres.yaml")
    postgres = extra["services"]["postgres"]
    assert postgres["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")
    assert volume == ["nexus-postgres", "/var/lib/postgresql/data"]
    assert "nexus-postgres" in extra["volumes"]
    assert "ports" not in postgres  # reached by the bot only, on the compose network
    nexus = extra["services"]["nexus"]
    assert nexus["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "nexus" in base["services"]  # the file adds to compose.yaml's bot


def test_the_bot_accepts_the_database_address_compose_gives_it() -> None:
    extra = compose("compose.postgres.yaml")
    given = extra["services"]["nexus"]["environment"]["DATABASE_URL"]
    url = interpolate(given, {"POSTGRES_PASSWORD": "s3cretWord"})
    settings = load_settings(
        {"DISCORD_TOKEN": TOKEN, "DATABASE_URL": url, "CONTENT_DIR": str(CONTENT)},
        env_file=None,
    )
    parsed = make_url(settings.database_url)
    postgres = extra["services"]["postgres"]["environment"]
    assert (parsed.drivername, parsed.host, parsed.port) == ("postgresql+asyncpg", "postgres", 5432)
    assert (parsed.username, parsed.database) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_DB"],
    )
    with pytest.raises(ValueError, match="set POSTGRES_PASSWORD"):
        interpolate(postgres["POSTGRES_PASSWORD"], {})


def test_the_healthcheck_command_answers_for_a_running_server(
    postgres: PostgresDatabases,
) -> None:
    command = compose("compose.postgres.yaml")["services"]["postgres"]["healthcheck"]["test"]
    assert command[0] == "CMD-SHELL"
    argv = shlex.split(command[1])
    tool = shutil.which(argv[0]) or str(binaries() / argv[0])
    server = make_url(postgres.server_url)
    done = subprocess.run(
        [tool, *argv[1:], f"--host={server.host}", f"--port={server.port}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
