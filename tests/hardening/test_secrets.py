"""Secrets and inputs: the token never reaches a log line, YAML is loaded safely, attachments are
checked (type and size) before a single byte is downloaded."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.logs import RedactSecrets, setup_logging
from localdiscord.emulator import FakeDiscord, Upload, patched_discord
from tests.harness import bot_settings, running_bot
from tests.helpers import REPO, TOKEN

SOURCES = sorted(
    p
    for folder in ("bot", "cogs", "localdiscord")
    for p in (REPO / folder).rglob("*.py")
    if "emulator" not in p.parts
)


def production_logging(token: str) -> io.StringIO:
    """`setup_logging` exactly as `python -m bot` calls it, its handler's stream captured."""
    root = logging.getLogger()
    root.handlers = []
    setup_logging("DEBUG", token)
    stream = io.StringIO()
    for handler in root.handlers:
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
    return stream


@pytest.fixture
def root_logging() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        yield production_logging(TOKEN)
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_level)


def test_the_token_is_redacted_from_every_kind_of_log_line(root_logging: io.StringIO) -> None:
    log = logging.getLogger("nexus.test")
    log.info("plain %s", TOKEN)
    log.warning(f"formatted {TOKEN}")
    log.error("in a dict %r", {"Authorization": f"Bot {TOKEN}"})
    logging.getLogger("discord.http").debug("request headers %s", {"token": TOKEN})
    try:
        raise RuntimeError(f"login failed for {TOKEN}")
    except RuntimeError:
        log.exception("an exception that quotes the token")
    written = root_logging.getvalue()
    assert TOKEN not in written
    assert written.count("[redacted]") >= 5
    assert "an exception that quotes the token" in written


def test_redaction_leaves_other_records_untouched() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    assert RedactSecrets(TOKEN, "").filter(record)
    assert record.getMessage() == "hello world"
    assert record.args == ("world",)


async def test_the_running_bot_never_logs_its_token(
    root_logging: io.StringIO, tmp_path: Path
) -> None:
    """The real bot at DEBUG (discord.py logs every HTTP request and gateway payload)."""
    async with FakeDiscord() as fake, patched_discord(fake):
        stream = production_logging(fake.token)
        async with running_bot(fake, bot_settings(fake, tmp_path)):
            await fake.slash("about")
            await fake.slash("concept", {"name": "jwt"})
        written = stream.getvalue()
        about = [m for m in fake.all_sent_messages() if fake.token in str(m)]
    assert "discord" in written, "discord.py's own DEBUG lines were captured"
    assert fake.token not in written
    assert about == [], "no message (/about included) shows the token"


def test_settings_never_show_the_token() -> None:
    settings = Settings(discord_token=TOKEN)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)


# yaml.load/load_all are allowed only with an explicit Loader=...SafeLoader on the same line.
UNSAFE_YAML = re.compile(
    r"yaml\.(unsafe_load|full_load|unsafe_load_all|full_load_all)\s*\("
    r"|yaml\.(load|load_all)\s*\((?![^#]*Loader\s*=\s*(yaml\.)?C?SafeLoader\b)"
    r"|\byaml\.(Full|Unsafe)?Loader\b"
)


def test_yaml_is_only_ever_loaded_safely() -> None:
    offenders = []
    for path in SOURCES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if UNSAFE_YAML.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []
    assert len(SOURCES) > 20, "the scan saw the code"


def test_the_yaml_loaders_in_use_are_safe_ones() -> None:
    import yaml

    from bot.learnings import loader
    from bot.specs.openapi import loading

    safe = (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert loader.SafeLoader in safe
    assert issubclass(loading._SpecLoader, safe)


def test_the_yaml_scan_would_catch_an_unsafe_load() -> None:
    for bad in (
        "yaml.load(text)",
        "yaml.load(t, Loader=yaml.Loader)",
        "yaml.load(t, Loader=yaml.FullLoader)",
        "yaml.unsafe_load(x)",
        "yaml.load(t)  # Loader=SafeLoader",
    ):
        assert UNSAFE_YAML.search(bad), bad
    for good in (
        "yaml.safe_load(text)",
        "yaml.SafeLoader",
        "yaml.CSafeLoader",
        "yaml.load(front, Loader=SafeLoader)",
        "yaml.load(front, Loader=yaml.CSafeLoader)",
    ):
        assert not UNSAFE_YAML.search(good), good


# The one program Nexus runs: PostgreSQL's client tools for backups (bot/backup.py's `_run`),
# an argument list without a shell, the program found by name (`_program`), never member text.
RUNS_PROGRAMS = {"bot/backup.py": ("subprocess.run(", "subprocess.TimeoutExpired")}


def test_no_user_input_reaches_a_shell_or_eval() -> None:
    risky = re.compile(r"\b(os\.system|subprocess\.|eval\(|exec\(|pickle\.loads?)\b|shell=True")
    offenders = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in SOURCES
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if risky.search(line)
        and not line.lstrip().startswith("#")
        and not (
            "shell=True" not in line
            and any(
                allowed in line for allowed in RUNS_PROGRAMS.get(str(path.relative_to(REPO)), ())
            )
        )
    ]
    assert offenders == []
    backup = (REPO / "bot/backup.py").read_text(encoding="utf-8")
    assert set(re.findall(r'_program\("([^"]+)"\)', backup)) == {"pg_dump", "pg_restore"}


async def test_attachments_are_checked_before_they_are_downloaded(tmp_path: Path) -> None:
    async with (
        FakeDiscord() as fake,
        patched_discord(fake),
        running_bot(fake, bot_settings(fake, tmp_path)),
    ):
        too_big = Upload("huge.yaml", b"openapi: 3.0.0\n" + b"#" * (6 * 1024 * 1024))
        wrong_type = Upload("spec.exe", b"MZ\x90\x00" * 10)
        for upload in (too_big, wrong_type):
            result = await fake.slash(
                "spec import", {"name": "bookings", "file": upload}, user="admin"
            )
            assert result.ephemeral
            assert result.content
            assert "Incident" not in result.content
        downloads = [r for r in fake.requests if "attachments" in r.path]
    assert downloads == [], "nothing was downloaded"
