from __future__ import annotations

import os
from pathlib import Path

from cogs.learnings.content import check_content
from tests.helpers import write_entry


def problems(root: Path) -> list[str]:
    return [str(p) for p in check_content(root).problems]


def test_a_valid_tree_has_no_problems(tmp_path: Path) -> None:
    write_entry(tmp_path, "generators", aliases=["yield"], related=["use-generators"])
    write_entry(tmp_path, "use-generators", kind="tip", body="Stream big files with a generator.")
    write_entry(
        tmp_path,
        "slow-exports",
        kind="challenge",
        body="## Problem\n\nExports time out.\n\n## Solution\n\n```python\nprint('ok')\n```",
    )
    report = check_content(tmp_path)
    assert report.ok, report.problems
    assert {e.slug for e in report.learnings} == {"generators", "use-generators", "slow-exports"}


def test_problems_name_path_and_line(tmp_path: Path) -> None:
    write_entry(tmp_path, "generators", related=["missing-entry"])
    (found,) = problems(tmp_path)
    assert f"{tmp_path.name}/concepts/generators.md:" in found
    line = int(found.split(":")[1])
    text = (tmp_path / "concepts" / "generators.md").read_text().splitlines()
    assert text[line - 1].startswith("related:")
    assert "related 'missing-entry' does not exist" in found


def test_duplicate_names_across_files(tmp_path: Path) -> None:
    write_entry(tmp_path, "jwt", aliases=["json web token"])
    write_entry(tmp_path, "tokens", aliases=["JSON web token".lower()])
    assert any("already used by 'jwt'" in p for p in problems(tmp_path))


def test_duplicate_slug_in_two_folders(tmp_path: Path) -> None:
    write_entry(tmp_path, "caching")
    write_entry(tmp_path, "caching", kind="tip", title="Cache wisely", body="Cache reads.")
    assert any("slug 'caching' is already taken by" in p for p in problems(tmp_path))


def test_schema_problems(tmp_path: Path) -> None:
    write_entry(tmp_path, "bad-topic", topic="cooking")
    write_entry(tmp_path, "no-docs", docs=None)
    write_entry(tmp_path, "Bad_Slug")
    write_entry(tmp_path, "wrong-kind", kind="concept", title="Wrong kind entry").rename(
        tmp_path / "concepts" / "wrong-kind.md"
    )
    write_entry(tmp_path, "tip-without-why", kind="tip", why=None, body="Do it.")
    write_entry(tmp_path, "upper-alias", aliases=["Django ORM"])
    write_entry(tmp_path, "extra-field", colour="red")
    found = "\n".join(problems(tmp_path))
    assert "topic must be one of" in found
    assert "official documentation" in found
    assert "'Bad_Slug' is not a slug" in found
    assert "missing field 'why'" in found
    assert "must be lower-case" in found
    assert "unknown field 'colour'" in found


def test_kind_must_match_folder(tmp_path: Path) -> None:
    path = write_entry(tmp_path, "misplaced", kind="tip", body="A tip.")
    target = tmp_path / "concepts" / "misplaced.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    path.rename(target)
    assert any("kind must be 'concept'" in p for p in problems(tmp_path))


def test_python_code_must_compile_and_line_points_at_it(tmp_path: Path) -> None:
    body = "## Example\n\n```python\ndef broken(:\n    pass\n```"
    path = write_entry(tmp_path, "broken-code", body=body)
    (found,) = problems(tmp_path)
    assert "Python code does not compile" in found
    line = int(found.split(":")[1])
    assert path.read_text().splitlines()[line - 1] == "def broken(:"


def test_other_languages_are_not_compiled(tmp_path: Path) -> None:
    write_entry(tmp_path, "shell", body="## Example\n\n```bash\nif [ -f x ]; then echo; fi\n```")
    assert problems(tmp_path) == []


def test_sizes_are_enforced(tmp_path: Path) -> None:
    write_entry(tmp_path, "long-tip", kind="tip", body="word " * 200)
    write_entry(tmp_path, "long-code", body="## Example\n\n```python\n" + "x = 1\n" * 300 + "```")
    write_entry(
        tmp_path, "long-body", body="## What it is\n\n" + ("Sentence here. " * 150 + "\n\n") * 3
    )
    found = "\n".join(problems(tmp_path))
    assert "a tip body has at most 700" in found
    assert "code block of" in found
    assert "the body has" in found


def test_unclosed_code_block(tmp_path: Path) -> None:
    write_entry(tmp_path, "unclosed", body="## Example\n\n```python\nx = 1\n")
    assert any("never closed" in p for p in problems(tmp_path))


def test_no_front_matter_and_bad_yaml(tmp_path: Path) -> None:
    (tmp_path / "concepts").mkdir()
    (tmp_path / "concepts" / "plain.md").write_text("# Just markdown\n")
    (tmp_path / "concepts" / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    found = "\n".join(problems(tmp_path))
    assert "concepts/plain.md:1: expected YAML front matter" in found
    assert "concepts/broken.md:" in found
    assert "not valid YAML" in found


def test_missing_folder(tmp_path: Path) -> None:
    assert "does not exist" in problems(tmp_path / "nope")[0]


def line_of(path: Path, text: str) -> int:
    return path.read_text().splitlines().index(text) + 1


def test_a_hard_wrapped_paragraph_is_reported_at_its_second_line(tmp_path: Path) -> None:
    body = (
        "## What it is\n\nA cache keeps a copy of a result\nso the next request is fast.\n\n"
        "- a list item written\n  over two lines\n- a list item on one line\n\n"
        "**Lead-in**: a sentence just before code is fine.\n```python\nx = 1\ny = 2\n```"
    )
    path = write_entry(tmp_path, "wrapped", body=body)
    rel = f"{tmp_path.name}/concepts/wrapped.md"
    wrapped = "a paragraph or list item is wrapped onto this line"
    assert problems(tmp_path) == [
        f"{rel}:{line_of(path, 'so the next request is fast.')}: {wrapped} "
        "(Discord shows every line break): write it on one line",
        f"{rel}:{line_of(path, '  over two lines')}: {wrapped} "
        "(Discord shows every line break): write it on one line",
    ]


def test_a_tip_has_no_headings(tmp_path: Path) -> None:
    path = write_entry(tmp_path, "tip-x", kind="tip", body="## Why\n\nBecause.")
    assert problems(tmp_path) == [
        f"{tmp_path.name}/tips/tip-x.md:{line_of(path, '## Why')}: a tip has no headings"
    ]


def test_concept_sections_have_known_names_in_order(tmp_path: Path) -> None:
    body = (
        "## What it is\n\nA thing.\n\n## Pitfalls\n\nSome.\n\n## When to use it\n\nOften.\n\n"
        "## Gotchas\n\nMore.\n\n### Detail\n\nDeep."
    )
    path = write_entry(tmp_path, "disordered", body=body)
    rel = f"{tmp_path.name}/concepts/disordered.md"
    names = "'## What it is', '## When to use it', '## When not to', '## Pitfalls', '## Example'"
    assert problems(tmp_path) == [
        f"{rel}:{line_of(path, '## When to use it')}: section '## When to use it' comes after "
        "'## Pitfalls' (order: What it is, When to use it, When not to, Pitfalls, Example)",
        f"{rel}:{line_of(path, '## Gotchas')}: unknown section '## Gotchas' (a concept uses "
        f"{names})",
        f"{rel}:{line_of(path, '### Detail')}: unknown section '### Detail' (a concept uses "
        f"{names})",
    ]


def test_challenge_sections_follow_their_own_order(tmp_path: Path) -> None:
    body = "## Solution\n\nFix it.\n\n## Problem\n\nIt broke."
    path = write_entry(tmp_path, "backwards", kind="challenge", body=body)
    assert problems(tmp_path) == [
        f"{tmp_path.name}/challenges/backwards.md:{line_of(path, '## Problem')}: section "
        "'## Problem' comes after '## Solution' (order: Problem, Why it happens, Solution, "
        "Example)"
    ]


def test_headings_inside_code_blocks_are_code(tmp_path: Path) -> None:
    body = "## Example\n\n```markdown\n### What\nA pull request\ndescription.\n```"
    write_entry(tmp_path, "fenced", body=body)
    assert problems(tmp_path) == []


def test_a_duplicate_slug_is_reported_against_the_newer_file(tmp_path: Path) -> None:
    older = write_entry(tmp_path, "caching", kind="tip", title="Cache wisely", body="Cache.")
    newer = write_entry(tmp_path, "caching")  # concepts/ sorts before tips/
    os.utime(older, (1_000_000, 1_000_000))
    assert newer.stat().st_mtime > older.stat().st_mtime
    assert problems(tmp_path) == [
        f"{tmp_path.name}/concepts/caching.md:1: slug 'caching' is already taken by "
        f"{tmp_path.name}/tips/caching.md"
    ]
    assert [e.kind for e in check_content(tmp_path).learnings] == ["tip"]
