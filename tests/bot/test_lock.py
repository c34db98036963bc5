"""The lock files agree with pyproject.toml: every requirement it names is pinned with a version
inside its range, with hashes, and so is everything those pins need in turn. Read offline: the
lock is parsed and compared with pyproject.toml and with the installed packages' metadata, not
resolved again (`requirements/refresh` does that)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.helpers import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
LOCKS = REPO / "requirements"
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])


@dataclass(frozen=True)
class Pin:
    requirement: Requirement
    hashes: tuple[str, ...]

    @property
    def version(self) -> Version:
        (spec,) = self.requirement.specifier
        return Version(spec.version)

    def applies(self) -> bool:
        marker = self.requirement.marker
        return marker is None or marker.evaluate()


def read_lock(text: str) -> dict[str, Pin]:
    """The pins of a hashed requirements file, by canonical name."""
    pins: dict[str, Pin] = {}
    logical = re.sub(r"\\\n", " ", text)
    for raw in logical.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        hashes = tuple(re.findall(r"--hash=(sha256:[0-9a-f]{64})", line))
        requirement = Requirement(re.sub(r"\s--hash=\S+", "", line).strip())
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"{name} is pinned twice"
        pins[name] = Pin(requirement, hashes)
    return pins


def lock(name: str) -> dict[str, Pin]:
    return read_lock((LOCKS / name).read_text(encoding="utf-8"))


def requirements_of(extras: set[str]) -> list[Requirement]:
    """pyproject.toml's runtime requirements and those of `extras` (self-references followed)."""
    found = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    optional = PYPROJECT["project"].get("optional-dependencies", {})
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for raw in optional[extra]:
            requirement = Requirement(raw)
            if canonicalize_name(requirement.name) == PROJECT:
                todo.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


def disagreements(pins: dict[str, Pin], wanted: list[Requirement]) -> list[str]:
    """Each requirement that the pins leave out or pin outside its range."""
    problems = []
    for requirement in wanted:
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{requirement} but the lock pins {pin.version}")
    return problems


def unpinned_needs(pins: dict[str, Pin], wanted: list[Requirement]) -> list[str]:
    """What the pinned packages need (their installed metadata, extras followed) and the lock
    does not pin, on this interpreter."""
    problems: list[str] = []
    todo = [(canonicalize_name(r.name), frozenset(r.extras)) for r in wanted if r.marker is None]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in done:
            continue
        done.add((name, extras))
        try:
            needs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here: its own pin is checked against pyproject.toml
        for raw in needs:
            requirement = Requirement(raw)
            environments = [{**default_environment(), "extra": e} for e in ("", *extras)]
            if requirement.marker is not None and not any(
                requirement.marker.evaluate(env) for env in environments
            ):
                continue
            needed = canonicalize_name(requirement.name)
            pin = pins.get(needed)
            if pin is None:
                problems.append(f"{name} needs {requirement}, which the lock does not pin")
            elif not requirement.specifier.contains(pin.version, prereleases=True):
                problems.append(f"{name} needs {requirement} but the lock pins {pin.version}")
            else:
                todo.append((needed, frozenset(requirement.extras)))
    return problems


@pytest.mark.parametrize("name", ["runtime.txt", "dev.txt", "build.txt"])
def test_every_pin_is_exact_and_hashed(name: str) -> None:
    pins = lock(name)
    assert pins
    for pin in pins.values():
        assert len(pin.requirement.specifier) == 1, pin.requirement
        assert str(next(iter(pin.requirement.specifier)).operator) == "==", pin.requirement
        assert pin.hashes, f"{pin.requirement} has no hash"


def test_the_runtime_lock_holds_pyprojects_dependencies_in_range() -> None:
    assert disagreements(lock("runtime.txt"), requirements_of(set())) == []


# Extras the lock leaves out on purpose: the frameworks that wrote the committed API documents
# (tests/fixtures/openapi/generators), installed only to write them again, at the exact
# versions that wrote them (pinned in pyproject.toml itself; some differ from the bot's own).
UNLOCKED_EXTRAS = {"generators"}


def test_the_dev_lock_holds_every_extra_in_range() -> None:
    extras = set(PYPROJECT["project"]["optional-dependencies"]) - UNLOCKED_EXTRAS
    assert disagreements(lock("dev.txt"), requirements_of(extras)) == []


def test_the_generators_that_wrote_the_fixtures_are_pinned_exactly() -> None:
    helpers = {"email-validator"}  # what FastAPI needs for the e-mail type; it writes nothing
    for extra in UNLOCKED_EXTRAS:
        loose = {
            canonicalize_name(r.name)
            for r in map(Requirement, PYPROJECT["project"]["optional-dependencies"][extra])
            if not any(spec.operator == "==" for spec in r.specifier)
        }
        assert loose <= helpers, extra


def test_the_build_lock_holds_the_build_backend() -> None:
    wanted = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    assert disagreements(lock("build.txt"), wanted) == []


def test_development_runs_the_versions_the_image_runs() -> None:
    runtime, dev = lock("runtime.txt"), lock("dev.txt")
    differ = [
        f"{name}: {pin.version} at run time, {dev[name].version} in development"
        for name, pin in runtime.items()
        if name in dev and dev[name].version != pin.version
    ]
    assert differ == []
    assert set(runtime) <= set(dev)


@pytest.mark.parametrize(("name", "extras"), [("runtime.txt", set()), ("dev.txt", {"dev"})])
def test_what_the_pins_need_is_pinned_too(name: str, extras: set[str]) -> None:
    assert unpinned_needs(lock(name), requirements_of(extras)) == []


def test_a_lock_out_of_step_with_pyproject_is_caught() -> None:
    """The comparison itself: a requirement missing, out of range, or needed by a pin."""
    pins = read_lock(
        "sqlalchemy==2.0.30 \\\n    --hash=sha256:" + "0" * 64 + "\n"
        "discord-py==2.7.1 ; python_version >= '3.8' \\\n    --hash=sha256:" + "1" * 64 + "\n"
    )
    assert pins["discord-py"].applies()
    wanted = [Requirement("SQLAlchemy[asyncio]>=2.1"), Requirement("tenacity>=8")]
    assert disagreements(pins, wanted) == [
        "SQLAlchemy[asyncio]>=2.1 but the lock pins 2.0.30",
        "tenacity>=8 is not in the lock",
    ]
    needed = unpinned_needs(pins, [Requirement("discord.py")])
    assert any(line.startswith("discord-py needs aiohttp") for line in needed)
