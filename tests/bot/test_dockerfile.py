"""The Dockerfile, read: what it copies exists, and the commands it runs work in an install
that has only what it copies (no tests, no benchmarks, no local Discord)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
# Runs `python -m bot ...` as the image would: the development packages cannot be imported.
WITHOUT_DEV_TOOLS = (
    "import runpy, sys; "
    "sys.modules.update(dict.fromkeys(['localdiscord', 'tests', 'bench'])); "
    "sys.argv = ['bot', *sys.argv[1:]]; "
    "runpy.run_module('bot', run_name='__main__')"
)


def image_command(instruction: str) -> list[str]:
    """The exec-form command of a CMD or HEALTHCHECK ... CMD line."""
    start = "" if instruction == "CMD" else rf"{instruction}[^\n]*\\\n\s*"
    match = re.search(rf"^{start}CMD (\[[^\]]*\])", DOCKERFILE, re.M)
    assert match, f"no {instruction} in the Dockerfile"
    return list(json.loads(match.group(1)))


def run_in_image(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    assert command[:3] == ["python", "-m", "bot"], command
    clean = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_DEV_TOOLS, *command[3:]],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_what_the_image_copies_exists_and_holds_the_bot() -> None:
    copied = re.findall(r"^COPY (\S+(?: \S+)*) \S+$", DOCKERFILE, re.M)
    sources = [source for line in copied for source in line.split()]
    assert {"bot", "cogs", "content", "pyproject.toml"} <= set(sources)
    for source in sources:
        assert (REPO / source).exists(), source
    assert "localdiscord" not in sources, "the local Discord is for development only"


def test_the_image_starts_the_bot_without_the_development_tools(tmp_path: Path) -> None:
    result = run_in_image(image_command("CMD"), tmp_path, CONTENT_DIR=str(REPO / "content"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("nexus: configuration error: DISCORD_TOKEN")


def test_the_image_health_check_runs_without_the_development_tools(tmp_path: Path) -> None:
    result = run_in_image(image_command("HEALTHCHECK"), tmp_path, CONTENT_DIR=str(REPO / "content"))
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert result.stderr.strip() == "nexus: unhealthy: no heartbeat yet"


def test_the_playground_is_not_in_the_image_and_says_so(tmp_path: Path) -> None:
    result = run_in_image(["python", "-m", "bot", "playground"], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "development tool" in result.stderr
