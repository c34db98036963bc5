"""Checks the imports of knowledge-base examples against the installed libraries.

Run in its own process (Django is configured once, globally): reads a JSON list of
`{"where": "content/...md:12", "code": "..."}` on stdin and prints a JSON list of problems,
one `path:line: ...` string each.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
import sys

from tests.content.examples import APPS, imported_modules

# The apps the examples put in INSTALLED_APPS, so their models and admin import.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "graphene_django",
    "corsheaders",
]


def setup_django() -> None:
    """A minimal Django: the examples' apps, SQLite in memory."""
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=INSTALLED_APPS,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        SECRET_KEY="examples-only",
        USE_TZ=True,
        ROOT_URLCONF=__name__,
    )
    django.setup()


urlpatterns: list[object] = []


def problems(where: str, code: str) -> list[str]:
    """Every import in `code` that the installed libraries cannot satisfy."""
    path, _, first = where.rpartition(":")
    found: list[str] = []
    for lineno, level, module, names in imported_modules(ast.parse(code)):
        if level or module.split(".")[0] in APPS:
            continue  # the example project: checked against its map, not installed
        line = int(first) + lineno - 1
        try:
            imported = importlib.import_module(module)
        except Exception as exc:
            found.append(f"{path}:{line}: import {module}: {type(exc).__name__}: {exc}")
            continue
        for name in names:
            if name == "*" or hasattr(imported, name):
                continue
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                found.append(f"{path}:{line}: {module} has no {name!r}")
    return found


# Libraries whose dotted paths settings name ("rest_framework.permissions.IsAuthenticated").
LIBRARIES = frozenset(
    {
        "django",
        "rest_framework",
        "rest_framework_simplejwt",
        "django_filters",
        "drf_spectacular",
        "graphene_django",
        "corsheaders",
        "celery",
    }
)
DOTTED_RE = re.compile(r"[a-z_]\w*(?:\.\w+)+")


def _named_apps(tree: ast.AST) -> set[str]:
    """The strings put in INSTALLED_APPS (`=`, `+=` or `.append`)."""
    apps: set[str] = set()
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            target = next((t for t in targets if isinstance(t, ast.Name)), None)
            value: ast.AST = node.value
        if target is not None and target.id == "INSTALLED_APPS":
            apps |= {
                c.value
                for c in ast.walk(value)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
    return apps


def path_problems(where: str, code: str) -> list[str]:
    """Dotted paths that settings name and the installed libraries lack: a class path
    (`"rest_framework_simplejwt.authentication.JWTAuthentication"`) or an installed app."""
    path, _, first = where.rpartition(":")
    tree = ast.parse(code)
    apps = _named_apps(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if not DOTTED_RE.fullmatch(text) or text.split(".")[0] not in LIBRARIES:
            continue
        line = int(first) + node.lineno - 1
        if text in apps:
            if importlib.util.find_spec(text) is None:
                found.append(f"{path}:{line}: installed app {text!r} does not exist")
            continue
        module, _, name = text.rpartition(".")
        if not name[:1].isupper():
            continue  # a logger or module name, not a class path
        try:
            exists = hasattr(importlib.import_module(module), name)
        except ImportError:
            exists = False
        if not exists:
            found.append(f"{path}:{line}: {text!r} names no class of the installed libraries")
    return found


def main() -> None:
    """Read the examples on stdin, print their problems as JSON."""
    setup_django()
    examples = json.load(sys.stdin)
    print(
        json.dumps(
            [
                p
                for e in examples
                for p in (*problems(e["where"], e["code"]), *path_problems(e["where"], e["code"]))
            ]
        )
    )


if __name__ == "__main__":
    main()
