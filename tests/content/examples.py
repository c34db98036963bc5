"""The Python examples of the knowledge base: found in content/, sorted into those that run
as they are and those that need the example project (Django, DRF, Celery...).

How a ```python block is treated (content/README.md says the same for writers):

- It **runs** (a fresh interpreter, or pytest when it defines `test_` functions) when it needs
  nothing but the standard library, pytest and modules that other blocks of the same entry
  provide: a block whose first line is a path comment (`# bookings/refunds.py`) is written
  to that path beside it.
- It is **import-checked** when it imports another library (Django, DRF, Celery, httpx...),
  imports relatively or from an app of the example project that no block provides, is a
  settings module (its path comment names `settings`), uses pytest-django (the `django_db`
  mark or its fixtures), or says it is a piece of a bigger file: `(excerpt` in its first
  line. Every name it imports must exist in the installed libraries (Django configured with
  the apps the examples use) and every model it names must live in the app of the example
  project that owns it.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.learnings.check import CODE_RE
from bot.learnings.loader import content_files, parse_file

# The example project every entry builds on: its apps and the models each one owns.
MODELS: dict[str, frozenset[str]] = {
    "accounts": frozenset({"User", "HostProfile"}),
    "listings": frozenset({"Listing", "Amenity", "Review"}),
    "bookings": frozenset({"Booking", "IdempotencyRecord"}),
    "payments": frozenset({"Payment", "WebhookEvent"}),
}
APPS = frozenset({*MODELS, "config", "core", "notifications"})
OWNER = {model: app for app, models in MODELS.items() for model in models}

# Fixtures that pytest-django provides: a test asking for one needs the Django project.
PYTEST_DJANGO = frozenset(
    {
        "client",
        "admin_client",
        "admin_user",
        "rf",
        "db",
        "transactional_db",
        "django_user_model",
        "django_assert_num_queries",
        "django_assert_max_num_queries",
        "django_capture_on_commit_callbacks",
        "settings",
        "live_server",
        "mailoutbox",
    }
)
PATH_COMMENT_RE = re.compile(r"^#\s*([\w./-]+\.py)\b")
MODEL_STRING_RE = re.compile(r"""["'](accounts|listings|bookings|payments)\.([A-Z]\w*)["']""")


@dataclass(frozen=True)
class Example:
    """One ```python block: where it is, its code, and how the suite treats it."""

    path: str  # content/concepts/tdd.md
    line: int  # the file's line of the block's first line of code
    code: str
    runs: bool
    why: str  # why it is import-checked rather than run ("" when it runs)
    provides: str | None = None  # the module path its first line names, if any
    siblings: tuple[Example, ...] = field(default=(), compare=False)

    @property
    def where(self) -> str:
        """`path:line`, as content check reports problems."""
        return f"{self.path}:{self.line}"

    @property
    def is_test(self) -> bool:
        """Whether it defines pytest tests (then pytest runs it)."""
        return re.search(r"(?m)^(?:async )?def test_", self.code) is not None


def imported_modules(tree: ast.AST) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """Every import in `tree`: (line, level, module, names); `import a.b` gives
    (line, 0, "a.b", ())."""
    found: list[tuple[int, int, str, tuple[str, ...]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, 0, alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            found.append((node.lineno, node.level, node.module or "", names))
    return found


def _needs_project(code: str, tree: ast.AST, provided: set[str]) -> str:
    first = code.lstrip().split("\n", 1)[0]
    if first.startswith("#") and "(excerpt" in first:
        return "marked as an excerpt"
    path = PATH_COMMENT_RE.match(first)
    if path and "settings" in path.group(1):
        return "a settings module"
    for _, level, module, _ in imported_modules(tree):
        top = module.split(".")[0]
        if level:
            return f"a relative import (from {'.' * level}{module})"
        if module in provided:
            continue
        if top in APPS:
            return f"imports {module} from the example project"
        if top not in sys.stdlib_module_names and top != "pytest":
            return f"imports {top}"
    if "django_db" in code:
        return "a pytest-django test (django_db)"
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test_"
        ):
            wanted = {a.arg for a in node.args.args} & PYTEST_DJANGO
            if wanted:
                return f"a pytest-django test (fixture {sorted(wanted)[0]})"
    return ""


def _module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def find_examples(root: Path) -> list[Example]:
    """Every ```python block under `root` (content/), classified."""
    found: list[Example] = []
    for file in content_files(root):
        parsed, _ = parse_file(file, root)
        if parsed is None:
            continue
        body = parsed.learning.body
        blocks: list[tuple[int, str, ast.AST, str | None]] = []
        for match in CODE_RE.finditer(body):
            if match.group(1).lower() not in {"python", "py"}:
                continue
            code = match.group(2)
            line = parsed.body_line + body.count("\n", 0, match.start(2))
            tree = ast.parse(code)  # content check has made sure it compiles
            first = PATH_COMMENT_RE.match(code.lstrip().split("\n", 1)[0])
            blocks.append((line, code, tree, first.group(1) if first else None))
        provided = {_module_name(p) for _, _, _, p in blocks if p}
        entry: list[Example] = []
        for line, code, tree, provides in blocks:
            why = _needs_project(code, tree, provided)
            entry.append(Example(parsed.learning.source_path, line, code, not why, why, provides))
        for example in entry:
            siblings = tuple(
                other for other in entry if other is not example and other.runs and other.provides
            )
            found.append(
                Example(
                    example.path,
                    example.line,
                    example.code,
                    example.runs,
                    example.why,
                    example.provides,
                    siblings,
                )
            )
    return found


def project_problems(example: Example) -> list[str]:
    """Where `example` disagrees with the example project: a model imported from, defined
    in or named (`"listings.Listing"`) with an app that does not own it."""
    problems: list[str] = []
    lines = example.code.split("\n")
    current: list[str | None] = []  # the file each line belongs to, by its path comment
    file: str | None = None
    for text in lines:
        path = PATH_COMMENT_RE.match(text)
        if path:
            file = path.group(1)
        current.append(file)

    def app_at(lineno: int) -> str | None:
        path = current[lineno - 1] if 0 < lineno <= len(current) else None
        return path.split("/")[0] if path and "/" in path else None

    def at(lineno: int, message: str) -> None:
        problems.append(f"{example.path}:{example.line + lineno - 1}: {message}")

    tree = ast.parse(example.code)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1 and module == "models":
                app = app_at(node.lineno)  # from .models import ...: the file's own app
            elif node.level == 0 and module.endswith(".models") and module[:-7] in MODELS:
                app = module[:-7]
            else:
                continue
            owners = sorted({OWNER[a.name] for a in node.names if a.name in OWNER})
            if app is None and len(owners) > 1:
                names = ", ".join(a.name for a in node.names)
                at(node.lineno, f"{names} live in different apps ({', '.join(owners)})")
            for alias in node.names:
                owner = OWNER.get(alias.name)
                if owner is None:
                    at(node.lineno, f"{alias.name} is not a model of the example project")
                elif app is not None and owner != app:
                    at(node.lineno, f"{alias.name} lives in {owner}.models, not {app}.models")
        elif isinstance(node, ast.ClassDef) and any(
            isinstance(base, ast.Attribute) and base.attr in {"Model", "AbstractUser"}
            for base in node.bases
        ):
            owner = OWNER.get(node.name)
            app = app_at(node.lineno)
            if owner is None:
                at(node.lineno, f"model {node.name} is not in the example project")
            elif app is not None and owner != app:
                at(node.lineno, f"model {node.name} belongs in {owner}/models.py, not {app}/")
    for number, text in enumerate(lines, start=1):
        for app, model in MODEL_STRING_RE.findall(text):
            if OWNER.get(model) != app:
                at(number, f"{app}.{model}: the example project keeps {model} elsewhere")
    return problems
