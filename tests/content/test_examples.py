"""The knowledge base's Python examples work as a learner would copy them.

Blocks that need nothing but Python run; the Django, DRF, Celery and other library examples
are import-checked against the versions of the `examples` extra (see tests/content/examples.py
for how a block is sorted).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.content.examples import Example, find_examples, project_problems
from tests.helpers import CONTENT, REPO

pytestmark = pytest.mark.examples

EXAMPLES = find_examples(CONTENT)
RUNNABLE = [e for e in EXAMPLES if e.runs]
RUN_TIMEOUT = 30  # seconds for one example; they take well under one


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_example(example: Example, workdir: Path) -> subprocess.CompletedProcess[str]:
    """Run one example in `workdir`, with the modules its entry's other blocks provide."""
    for sibling in example.siblings:
        assert sibling.provides is not None
        target = workdir / sibling.provides
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(sibling.code, encoding="utf-8")
        for package in target.relative_to(workdir).parents:
            if package != Path("."):
                (workdir / package / "__init__.py").touch()
    script = workdir / ("test_example.py" if example.is_test else "example.py")
    script.write_text(example.code, encoding="utf-8")
    command = [sys.executable, str(script)]
    if example.is_test:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)]
        (workdir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # not ours
    # Plain pytest, as a learner runs a test file: no plugin of this project's environment.
    env = {**_env(), "PYTHONPATH": str(workdir), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run(
        command,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def check_imports(examples: list[Example]) -> list[str]:
    """The import problems of `examples`, found in a process of their own (it sets Django
    up)."""
    payload = json.dumps([{"where": e.where, "code": e.code} for e in examples])
    result = subprocess.run(
        [sys.executable, "-m", "tests.content.importcheck"],
        cwd=REPO,
        env={**_env(), "PYTHONPATH": str(REPO)},
        input=payload,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        "the import check could not start; the examples extra installs what it needs: "
        f"pip install -e '.[examples]'\n{result.stderr}"
    )
    found: list[str] = json.loads(result.stdout)
    return found


@pytest.mark.parametrize("example", RUNNABLE, ids=[e.where for e in RUNNABLE])
def test_the_example_runs(example: Example, tmp_path: Path) -> None:
    result = run_example(example, tmp_path)
    assert result.returncode == 0, f"{example.where}\n{result.stdout}\n{result.stderr}"


def test_every_import_of_every_example_resolves() -> None:
    assert check_imports(EXAMPLES) == []


def test_examples_keep_to_the_one_example_project() -> None:
    assert [p for e in EXAMPLES for p in project_problems(e)] == []


def test_most_examples_are_checked_beyond_compiling() -> None:
    # Every block is at least import-checked; those that can run, run.
    assert len(EXAMPLES) >= 120
    assert len(RUNNABLE) >= 20
    assert {e.path for e in RUNNABLE} >= {
        "content/concepts/tdd.md",
        "content/concepts/python-generators.md",
        "content/concepts/event-loop.md",
    }


def test_django_links_name_the_version_the_examples_use() -> None:
    import django

    version = "{}.{}".format(*django.VERSION[:2])
    wrong = sorted(
        f"{path.relative_to(REPO)}: {link}"
        for path in CONTENT.rglob("*.md")
        for link in re.findall(r"docs\.djangoproject\.com/en/([^/\s)]+)/", path.read_text())
        if link != version
    )
    assert wrong == [], f"Django docs links should use /en/{version}/"


# The checks themselves: each catches what it is for.


def example_from(tmp_path: Path, body: str) -> list[Example]:
    from tests.helpers import write_entry

    write_entry(tmp_path, "sample", body=body)
    return find_examples(tmp_path)


def test_a_broken_runnable_example_fails(tmp_path: Path) -> None:
    (example,) = example_from(tmp_path, "## Example\n\n```python\nprint(1 / 0)\n```")
    assert example.runs
    workdir = tmp_path / "run"
    workdir.mkdir()
    result = run_example(example, workdir)
    assert result.returncode != 0
    assert "ZeroDivisionError" in result.stderr


def test_an_entry_s_module_serves_its_test(tmp_path: Path) -> None:
    body = (
        "## Example\n\n```python\n# shop/tests/test_price.py\nfrom shop.price import total\n\n\n"
        "def test_total():\n    assert total(2, 3) == 6\n```\n\n```python\n# shop/price.py\n"
        "def total(nights, rate):\n    return nights * rate + 1\n```"
    )
    test, module = example_from(tmp_path, body)
    assert (test.runs, test.is_test, module.provides) == (True, True, "shop/price.py")
    workdir = tmp_path / "run"
    workdir.mkdir()
    result = run_example(test, workdir)
    assert result.returncode != 0  # 7 != 6: the test found the bug
    assert "assert 7 == 6" in result.stdout


def test_library_examples_are_import_checked(tmp_path: Path) -> None:
    body = (
        "## Example\n\n```python\nfrom rest_framework.views import APIView, NoSuchView\n"
        "from rest_framework_simplejwt.nowhere import Token\nimport users.models\n```"
    )
    (example,) = example_from(tmp_path, body)
    assert (example.runs, example.why) == (False, "imports rest_framework")
    problems = check_imports([example])
    line = example.line
    assert problems == [
        f"{example.path}:{line}: rest_framework.views has no 'NoSuchView'",
        f"{example.path}:{line + 1}: import rest_framework_simplejwt.nowhere: "
        "ModuleNotFoundError: No module named 'rest_framework_simplejwt.nowhere'",
        f"{example.path}:{line + 2}: import users.models: ModuleNotFoundError: "
        "No module named 'users'",
    ]


def test_settings_name_classes_and_apps_that_exist(tmp_path: Path) -> None:
    body = (
        "## Example\n\n```python\n# config/settings.py\n"
        'INSTALLED_APPS = ["rest_framework", "rest_framework_simplejwt.blacklist"]\n'
        "REST_FRAMEWORK = {\n"
        '    "DEFAULT_AUTHENTICATION_CLASSES": [\n'
        '        "rest_framework_simplejwt.authentication.JWTAuthentication",\n'
        '        "rest_framework.authentication.TokenAuth",\n'
        "    ],\n"
        "}\n```"
    )
    (example,) = example_from(tmp_path, body)
    line = example.line
    assert check_imports([example]) == [
        f"{example.path}:{line + 1}: installed app 'rest_framework_simplejwt.blacklist' "
        "does not exist",
        f"{example.path}:{line + 5}: 'rest_framework.authentication.TokenAuth' names no class "
        "of the installed libraries",
    ]


def test_one_models_module_holds_one_app_s_models(tmp_path: Path) -> None:
    body = "## Example\n\n```python\nfrom .models import Booking, Listing\n```"
    (example,) = example_from(tmp_path, body)
    assert project_problems(example) == [
        f"{example.path}:{example.line}: Booking, Listing live in different apps "
        "(bookings, listings)"
    ]


def test_models_stay_in_their_app(tmp_path: Path) -> None:
    body = (
        "## Example\n\n```python\n# listings/admin.py\nfrom .models import Booking\n"
        "from payments.models import Listing\n\n\n# bookings/models.py\n"
        "class Review(models.Model):\n"
        '    listing = models.ForeignKey("bookings.Listing", on_delete=models.CASCADE)\n```'
    )
    (example,) = example_from(tmp_path, body)
    line = example.line
    assert project_problems(example) == [
        f"{example.path}:{line + 1}: Booking lives in bookings.models, not listings.models",
        f"{example.path}:{line + 2}: Listing lives in listings.models, not payments.models",
        f"{example.path}:{line + 6}: model Review belongs in listings/models.py, not bookings/",
        f"{example.path}:{line + 7}: bookings.Listing: the example project keeps Listing elsewhere",
    ]


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("# bookings/models.py (excerpt)\nx = 1\n", "marked as an excerpt"),
        ("# config/settings.py\nimport os\n", "a settings module"),
        ("from .models import Listing\n", "a relative import (from .models)"),
        ("@pytest.mark.django_db\ndef test_x():\n    pass\n", "a pytest-django test (django_db)"),
        ("def test_x(client):\n    pass\n", "a pytest-django test (fixture client)"),
        (
            "from bookings.pricing import total\n",
            "imports bookings.pricing from the example project",
        ),
    ],
)
def test_what_keeps_a_block_from_running(tmp_path: Path, code: str, why: str) -> None:
    (example,) = example_from(tmp_path, f"## Example\n\n```python\n{code}```")
    assert (example.runs, example.why) == (False, why)
