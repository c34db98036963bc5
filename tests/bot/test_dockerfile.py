"""The Dockerfile, read and its commands run: the base image is pinned, the dependencies come
from the lock in a layer before the code, the image holds the bot and its content only, and its
commands work in an install that has only what the image has (the wheel the build stage makes,
no tests, no benchmarks, no local Discord)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
# Runs `python -m bot ...` as the image would: the development packages cannot be imported.
WITHOUT_DEV_TOOLS = (
    "import runpy, sys; "
    "sys.modules.update(dict.fromkeys(['localdiscord', 'tests', 'bench'])); "
    "sys.argv = ['bot', *sys.argv[1:]]; "
    "runpy.run_module('bot', run_name='__main__')"
)
CODE = {"bot", "cogs", "content", "localdiscord", "tests", "bench", "examples"}


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]]  # (INSTRUCTION, arguments), continuation lines joined

    def copies(self) -> list[list[str]]:
        """The arguments of each COPY (flags included)."""
        return [shlex.split(args) for op, args in self.instructions if op == "COPY"]

    def sources(self) -> list[str]:
        """What each COPY takes from the build context (not from another stage)."""
        found = []
        for args in self.copies():
            if any(a.startswith("--from=") for a in args):
                continue
            found.extend(a for a in args[:-1] if not a.startswith("--"))
        return found

    def runs(self) -> list[str]:
        return [args for op, args in self.instructions if op == "RUN"]


def stages() -> list[Stage]:
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    found: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        op, _, args = line.partition(" ")
        if op == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else ""
            found.append(Stage(name, parts[0], []))
        elif found:
            found[-1].instructions.append((op, args))
    return found


def stage(name: str) -> Stage:
    (found,) = [s for s in stages() if s.name == name]
    return found


def default_image() -> list[Stage]:
    """The stages the default target is made of: the last stage and those it starts from."""
    chain = [stages()[-1]]
    while chain[-1].base in {s.name for s in stages()}:
        chain.append(stage(chain[-1].base))
    return chain


def image_command(instruction: str) -> list[str]:
    """The exec-form command of a CMD or HEALTHCHECK ... CMD line of the bot's image."""
    start = "" if instruction == "CMD" else rf"{instruction}[^\n]*\\\n\s*"
    match = re.search(rf"^{start}CMD (\[[^\]]*\])", DOCKERFILE, re.M)
    assert match, f"no {instruction} in the Dockerfile"
    return list(json.loads(match.group(1)))


def test_the_base_image_is_pinned_by_digest_with_its_tag_and_how_to_refresh_it() -> None:
    pinned = re.search(r"^ARG PYTHON=(python:3\.11-slim)@sha256:[0-9a-f]{64}$", DOCKERFILE, re.M)
    assert pinned, "the base image is pinned by digest"
    tag = pinned.group(1)
    assert f"docker pull {tag} && docker inspect --format" in DOCKERFILE
    for each in stages():
        assert each.base == "${PYTHON}" or each.base in {s.name for s in stages()}, each.base


def test_the_dependencies_come_from_the_lock_in_a_layer_before_the_code() -> None:
    image = stage("nexus")
    order = [(op, args) for op, args in image.instructions if op in ("COPY", "RUN")]
    install = next(
        i for i, (op, args) in enumerate(order) if op == "RUN" and "requirements/" in args
    )
    assert order[install - 1] == ("COPY", "requirements/runtime.txt requirements/")
    assert order[install][1] == (
        "pip install --require-hashes --no-deps -r requirements/runtime.txt"
    )
    assert all(op == "RUN" for op, _ in order[: install - 1]), "nothing is copied before the lock"
    later = [args for op, args in order[install + 1 :] if op == "COPY"]
    assert later, "the code comes after the dependencies"
    build = stage("build").runs()
    assert build[0] == "pip install --require-hashes -r requirements/build.txt"


def test_the_image_copies_what_exists_and_only_the_bot() -> None:
    image = default_image()
    sources = [source for each in image for source in each.sources()]
    sources += stage("build").sources()
    assert {"bot", "cogs", "content", "pyproject.toml", "requirements/runtime.txt"} <= set(sources)
    for source in [*sources, *stage("playground").sources()]:
        assert (REPO / source).exists(), source
    assert not {"localdiscord", "tests", "bench", "examples"} & set(sources)
    assert set(stage("playground").sources()) == {"localdiscord", "examples"}
    assert "playground" not in [each.name for each in image], "the playground only when asked"


def test_the_context_leaves_out_what_no_stage_copies() -> None:
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"tests", "bench", ".git", ".venv", ".env", "data"} <= set(ignored)
    copied = {source for each in stages() for source in each.sources()}
    assert not copied & set(ignored)


@pytest.fixture(scope="module")
def image_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build stage's commands run on a copy of what it copies; its wheel installed in a
    folder of its own, as the image's layer 2 installs it (layer 1, the locked dependencies,
    is the test environment's)."""
    work = tmp_path_factory.mktemp("build")
    for source in stage("build").sources():
        if source.startswith("requirements/"):
            continue
        target = work / source
        if (REPO / source).is_dir():
            shutil.copytree(REPO / source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / source, target)
    wheels = work / "wheels"
    (wheel_command,) = [r for r in stage("build").runs() if r.startswith("pip wheel")]
    command = shlex.split(wheel_command.replace("/wheels", str(wheels)))
    built = subprocess.run(
        [sys.executable, "-m", *command], cwd=work, check=False, capture_output=True, text=True
    )
    assert built.returncode == 0, (
        "the build stage's command failed here (is requirements/build.txt installed?):\n"
        + built.stderr[-3000:]
    )
    (wheel,) = wheels.glob("*.whl")
    site = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    with zipfile.ZipFile(wheel) as built:
        top = {name.split("/")[0] for name in built.namelist()}
    assert {"bot", "cogs"} <= top
    assert not top & {"localdiscord", "tests", "bench"}, top
    return site


def run_in_image(
    site: Path, command: list[str], cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    assert command[:3] == ["python", "-m", "bot"], command
    clean = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_DEV_TOOLS, *command[3:]],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(site), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_image_runs_its_own_build_of_the_bot(image_site: Path, tmp_path: Path) -> None:
    code = "import bot, cogs, sys; print(bot.__file__, bot.__version__)"
    shown = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(image_site)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(shown[0]).is_relative_to(image_site)
    assert shown[1] != "0.0.0+source", "the package's metadata travels with it"
    assert (image_site / "bot" / "db" / "migrations" / "script.py.mako").is_file()


def test_the_image_starts_the_bot_without_the_development_tools(
    image_site: Path, tmp_path: Path
) -> None:
    result = run_in_image(
        image_site, image_command("CMD"), tmp_path, CONTENT_DIR=str(REPO / "content")
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("nexus: configuration error: DISCORD_TOKEN")


def test_the_image_health_check_runs_without_the_development_tools(
    image_site: Path, tmp_path: Path
) -> None:
    result = run_in_image(
        image_site, image_command("HEALTHCHECK"), tmp_path, CONTENT_DIR=str(REPO / "content")
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert result.stderr.strip() == "nexus: unhealthy: no heartbeat yet"


def test_the_playground_is_not_in_the_image_and_says_so(image_site: Path, tmp_path: Path) -> None:
    result = run_in_image(image_site, ["python", "-m", "bot", "playground"], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "development tool" in result.stderr


def test_the_doctor_runs_in_the_image(image_site: Path, tmp_path: Path) -> None:
    result = run_in_image(
        image_site,
        ["python", "-m", "bot", "doctor", "--offline"],
        tmp_path,
        CONTENT_DIR=str(REPO / "content"),
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert "✖ token: missing" in result.stdout


def test_the_image_keeps_malloc_to_two_heaps() -> None:
    # Each SQLite connection's thread would otherwise get a heap of its own (see the Dockerfile).
    env = " ".join(args for op, args in stage("nexus").instructions if op == "ENV")
    assert "MALLOC_ARENA_MAX=2" in env.split()
