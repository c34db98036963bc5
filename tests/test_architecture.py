"""The layout's rules, checked on the source: who may import what, module sizes, no cycles.

bot/ is the Discord-free core (only its composition root and operator commands import discord);
cogs/ is the Discord side, one package per feature on a shared kit; localdiscord/ is the local
Discord the tests and the playground use, which the bot never imports.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO

PACKAGES = ("bot", "cogs", "localdiscord")
MAX_LINES = 500
COMPOSITION_ROOT = {"bot.client", "bot.__main__"}  # they build the bot from both sides
FEATURES = ("learnings", "dailytip", "qa", "specs", "meta")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    module_name(path): path
    for package in PACKAGES
    for path in sorted((REPO / package).rglob("*.py"))
    if "versions" not in path.parts  # migrations are frozen history, read by Alembic
}


def imports(name: str, *, top_level_only: bool = False) -> Iterator[str]:
    """Every module `name` imports (`from x import y` counts as x.y when that is a module)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.If) and top_level_only:
            continue  # `if TYPE_CHECKING:` imports are for the type checker only
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield full if full in MODULES else node.module


def offenders(rule: str, allowed: set[str] | None = None) -> list[str]:
    found = []
    for name in MODULES:
        if allowed is not None and name in allowed:
            continue
        for target in imports(name):
            if target == rule or target.startswith(rule + "."):
                found.append(f"{name} imports {target}")
    return found


def in_package(package: str) -> set[str]:
    return {n for n in MODULES if n == package or n.startswith(package + ".")}


def test_the_core_does_not_import_discord() -> None:
    core = in_package("bot") - COMPOSITION_ROOT
    assert [o for o in offenders("discord") if o.split()[0] in core] == []


def test_the_core_does_not_import_the_discord_side_nor_the_local_discord() -> None:
    core = in_package("bot") - COMPOSITION_ROOT
    for package in ("cogs", "localdiscord"):
        assert [o for o in offenders(package) if o.split()[0] in core] == []
    # The operator commands start the playground only when asked (a function-level import).
    main_top = set(imports("bot.__main__", top_level_only=True))
    assert not any(t.startswith("localdiscord") for t in main_top)


def test_the_discord_side_does_not_build_sql() -> None:
    """It may recognise the database's errors (to say "busy, try again"), nothing more."""
    side = in_package("cogs")
    sql = [o for o in offenders("sqlalchemy") if o.split()[0] in side]
    assert [o for o in sql if not o.endswith("imports sqlalchemy.exc")] == []


def test_a_feature_uses_no_other_features_commands() -> None:
    """A feature's package may draw with another feature's render module (a daily tip is
    drawn as a learning), never reach into its cog, views or state."""
    wrong = []
    for feature in FEATURES:
        for name in in_package(f"cogs.{feature}"):
            for target in imports(name):
                parts = target.split(".")
                if parts[0] != "cogs" or len(parts) < 2 or parts[1] in ("_kit", feature):
                    continue
                if parts[2:] != ["render"]:
                    wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_the_kit_serves_every_feature_and_imports_none() -> None:
    kit = in_package("cogs._kit")
    for feature in FEATURES:
        assert [o for o in offenders(f"cogs.{feature}") if o.split()[0] in kit] == []


def test_features_in_the_core_do_not_reach_upwards() -> None:
    """bot.core and bot.db serve the features; they import none of them."""
    low = in_package("bot.core") | in_package("bot.db")
    for feature in ("learnings", "dailytip", "qa", "specs"):
        assert [o for o in offenders(f"bot.{feature}") if o.split()[0] in low] == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_longer_than_a_sitting(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def test_no_import_cycle() -> None:
    graph = {
        name: {t for t in imports(name, top_level_only=True) if t in MODULES and t != name}
        for name in MODULES
    }
    # A package's __init__ re-exporting its modules is not a cycle with them.
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_rules_saw_the_code() -> None:
    assert len(in_package("bot")) > 40
    assert len(in_package("cogs")) > 20
    assert "cogs._kit.limits" in MODULES


def printed_by(probe: str) -> str:
    """What a fresh interpreter prints running `probe` in the repository."""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_the_spec_worker_starts_without_the_database_or_discord() -> None:
    """The spec worker process imports only the reading code: starting it (on the first
    import of a server) must not load SQLAlchemy or discord.py."""
    probe = (
        "import sys, bot.specs.analysis; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'discord'}))"
    )
    assert printed_by(probe) == "[]"


def test_the_bot_starts_without_the_document_reader() -> None:
    """The bot's process never imports the spec reader (the validators, RE2: the analysis
    process reads documents), imports the frontend writers only when asked for code, and
    Alembic only for a pending migration: building the bot, loading every cog and the push
    server does not."""
    probe = (
        "import importlib, sys, bot.client, bot.specs.push; "
        "[importlib.import_module(n) for n in bot.client.extension_names()]; "
        "heavy = {'openapi_schema_validator', 'jsonschema', 'jsonschema_rs', 're2', 'pydantic', "
        "'bot.specs.openapi.reading', 'bot.specs.frontend', 'alembic', 'mako'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    assert printed_by(probe) == "[]"


IMPORT_TWO_VERSIONS = """
import asyncio, sys, tempfile
from pathlib import Path
from bot.core.actor import Actor
from bot.db.engine import Database
from bot.specs import SpecsService

async def main() -> None:
    folder = Path(tempfile.mkdtemp())
    db = Database(f"sqlite+aiosqlite:///{folder / 'nexus.db'}")
    await db.upgrade()
    specs = SpecsService(db)  # documents read in the analysis process
    fixtures = Path("tests/fixtures/openapi")
    owner = Actor(1, can_manage=True)
    reports = []
    for name in ("bookings-v1.yaml", "bookings-v2.yaml"):
        data = (fixtures / name).read_bytes()
        specs.precheck(name, len(data))
        reports.append(await specs.import_document(1, owner, "bookings", name, data))
    specs.close()
    await db.close()
    heavy = {"jsonschema", "jsonschema_rs", "openapi_schema_validator", "re2", "pydantic",
             "bot.specs.openapi.reading", "bot.specs.openapi.validation"}
    print(reports[0].version.endpoint_count, len(reports[1].changes) > 0,
          sorted(heavy & set(sys.modules)))

asyncio.run(main())
"""


def test_importing_documents_leaves_the_reader_out_of_the_bots_process() -> None:
    """The analysis process reads and diffs each document; the bot's process only stores what
    it sends back, and never loads the validators, pydantic or RE2 (17 MB of its memory)."""
    endpoints, changed, loaded = printed_by(IMPORT_TWO_VERSIONS).split(" ", 2)
    assert int(endpoints) > 0
    assert changed == "True"
    assert loaded == "[]"
