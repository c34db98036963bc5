"""Spec pages read one at a time: the listing keeps the pages by tag it always had, and a page
turn on a spec of 20,000 endpoints reads one page of them, not the whole spec; a changelog of
thousands of changes reads one page of them.
"""

from __future__ import annotations

import contextlib
import json
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from bot.core.paging import page_count, page_of
from bot.db.engine import Database
from bot.db.models import Spec, SpecChange, SpecEndpoint, SpecVersion
from bot.errors import AlreadyExists
from bot.specs import Actor, ListingPage, SpecsService, make_manual_draft
from bot.specs.analysis import Analysis, in_thread
from bot.specs.diff import SEVERITY_ORDER, Change
from bot.specs.lookup import version_tags
from bot.specs.model import ListingEntry, StoredChange
from bot.specs.validation import key_hash
from tests.figures import report

GUILD = 111
ADMIN = Actor(1, can_manage=True)
PER_PAGE = 15
UNTAGGED, HAND_TYPED = "other", "hand-typed"
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

Pages = list[tuple[str, int, int, list[ListingEntry]]]


def grouped_pages(
    order: Sequence[str], entries: list[tuple[ListingEntry, list[str]]]
) -> tuple[Pages, list[tuple[str, int]]]:
    """The listing as it was drawn when every page read the whole spec and grouped it in
    Python (kept here as the reference): entries by tag, tags in the document's order, then
    the others A-Z, untagged and hand-typed last; a tag longer than a page split in parts.

    `order` is taken once per tag and without "other" and "hand-typed", which always come
    last (read as they were, a document declaring a tag twice, or one named "other", listed it
    twice).
    """
    order = [t for t in dict.fromkeys(order) if t not in (UNTAGGED, HAND_TYPED)]
    groups: dict[str, list[ListingEntry]] = {}
    for entry, names in entries:
        for name in names:
            groups.setdefault(name, []).append(entry)
    ordered = [t for t in order if t in groups]
    ordered += sorted(t for t in groups if t not in ordered and t not in (UNTAGGED, HAND_TYPED))
    ordered += [t for t in (UNTAGGED, HAND_TYPED) if t in groups]
    chunks: Pages = []
    first_pages: list[tuple[str, int]] = []
    for name in ordered:
        grouped = groups[name]
        parts = page_count(len(grouped), PER_PAGE)
        first_pages.append((name, len(chunks) + 1))
        for part in range(1, parts + 1):
            chunks.append((name, part, parts, list(page_of(grouped, PER_PAGE, part))))
    return chunks, first_pages


async def expected_listing(
    db: Database, spec_name: str
) -> tuple[Pages, list[tuple[str, int]], int]:
    """The reference pages of a spec, from every one of its endpoint rows."""
    async with db.read() as session:
        spec = await session.scalar(
            select(Spec).where(Spec.guild_id == GUILD, Spec.name == spec_name)
        )
        assert spec is not None
        version = await session.scalar(
            select(SpecVersion)
            .where(SpecVersion.spec_id == spec.id)
            .order_by(SpecVersion.number.desc())
        )
        rows = (
            (
                await session.execute(
                    select(SpecEndpoint)
                    .where(SpecEndpoint.spec_id == spec.id)
                    .order_by(SpecEndpoint.path, SpecEndpoint.method, SpecEndpoint.id)
                )
            )
            .scalars()
            .all()
        )
        order = version_tags(version)
    entries = []
    for row in rows:
        manual = row.version_id is None
        entry = ListingEntry(row.key, row.summary, row.deprecated, manual)
        entries.append((entry, [HAND_TYPED] if manual else (list(row.tags) or [UNTAGGED])))
    chunks, first_pages = grouped_pages(order, entries)
    return chunks, first_pages, len({row.key for row in rows})


def check_page(
    got: ListingPage, chunks: Pages, first_pages: list[tuple[str, int]], total: int, page: int
) -> None:
    tag, part, parts, entries = chunks[page - 1]
    assert (got.page, got.pages, got.total) == (page, len(chunks), total)
    assert (got.tag, got.part, got.parts) == (tag, part, parts)
    assert list(got.entries) == entries
    assert list(got.tags) == first_pages


async def check_every_page(specs: SpecsService, db: Database, spec_name: str) -> int:
    """Every page of the listing is the reference's; so are the ends and each tag's jump."""
    chunks, first_pages, total = await expected_listing(db, spec_name)
    first = await specs.listing(GUILD, spec_name=spec_name)
    check_page(first, chunks, first_pages, total, 1)
    for page in range(2, len(chunks) + 1):
        got = await specs.listing(GUILD, spec_id=first.spec.id, page=page)
        check_page(got, chunks, first_pages, total, page)
    beyond = await specs.listing(GUILD, spec_id=first.spec.id, page=len(chunks) + 5)
    check_page(beyond, chunks, first_pages, total, len(chunks))
    before = await specs.listing(GUILD, spec_id=first.spec.id, page=0)
    check_page(before, chunks, first_pages, total, 1)
    for tag, _ in first_pages:
        # A tag is typed in any case: it jumps to the first tag of that name.
        page = next(p for t, p in first_pages if t.lower() == tag.lower())
        jumped = await specs.listing(GUILD, spec_name=spec_name, tag=tag.upper())
        check_page(jumped, chunks, first_pages, total, page)
    return len(chunks)


# -- the pages by tag, on realistic specs ---------------------------------------------------------


def operation(tags: list[str], summary: str, deprecated: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {"200": {"description": "ok"}}}
    if tags:
        op["tags"] = tags
    if deprecated:
        op["deprecated"] = True
    return op


def document(paths: dict[str, dict[str, dict[str, Any]]], declared: Sequence[str]) -> bytes:
    """A document declaring `declared` tags (a tag declared again comes with a description:
    the schema refuses only identical entries)."""
    tags = [
        {"name": name, **({"description": "again"} if name in declared[:i] else {})}
        for i, name in enumerate(declared)
    ]
    return json.dumps(
        {
            "openapi": "3.0.3",
            "info": {"title": "Shop", "version": "1.0.0"},
            "tags": tags,
            "paths": paths,
        }
    ).encode()


def shop(resources: int, *, version: int = 1) -> bytes:
    """A shop with tags declared out of use order, tags used but never declared, endpoints
    with several tags, untagged ones, and a tag longer than a page."""
    paths: dict[str, dict[str, dict[str, Any]]] = {}
    for i in range(resources):
        tags = [["orders"], ["orders", "payments"], [], ["catalog"], ["Catalog", "admin"]][i % 5]
        paths[f"/v{version}/items/{i:03d}/"] = {
            "get": operation(tags, f"Read item {i}"),
            "delete": operation(tags[:1], f"Remove item {i}", deprecated=i % 3 == 0),
        }
    paths["/v1/health/"] = {"get": operation(["other"], "Health")}
    return document(paths, ["payments", "orders", "catalog"])


async def test_the_pages_of_a_realistic_spec_are_those_of_the_grouping_by_tag(db: Database) -> None:
    specs = SpecsService(db, off_loop=in_thread)
    for method, path in [("POST", "/v1/refunds/"), ("GET", "/v1/items/000/"), ("GET", "/a/")]:
        draft = make_manual_draft(method, path, f"Typed {path}")
        await specs.add_manual(GUILD, ADMIN, "shop", draft)
    await specs.import_document(GUILD, ADMIN, "shop", "v1.json", shop(40))
    assert await check_every_page(specs, db, "shop") > 8
    # The next version replaces what the listing files under each tag.
    await specs.import_document(GUILD, ADMIN, "shop", "v2.json", shop(12, version=2))
    await specs.add_manual(GUILD, ADMIN, "shop", make_manual_draft("PUT", "/z/", "Late"))
    await check_every_page(specs, db, "shop")


async def test_a_tag_declared_twice_or_named_other_is_listed_once(db: Database) -> None:
    specs = SpecsService(db, off_loop=in_thread)
    paths = {
        "/a/": {"get": operation(["other"], "A"), "put": operation([], "B")},
        "/b/": {"get": operation(["b"], "C")},
    }
    await specs.import_document(
        GUILD, ADMIN, "odd", "odd.json", document(paths, ["b", "b", "other"])
    )
    first = await specs.listing(GUILD, spec_name="odd")
    assert list(first.tags) == [("b", 1), ("other", 2)]
    assert first.pages == 2
    last = await specs.listing(GUILD, spec_id=first.spec.id, page=2)
    assert [e.key for e in last.entries] == ["GET /a/", "PUT /a/"]


TAGS = ["pets", "Store", "users", "zeta", UNTAGGED, HAND_TYPED]
DECLARABLE = ["pets", "Store", "users", "zeta", "alpha"]
METHODS = ["get", "put", "post", "delete", "patch"]
PATHS = st.from_regex(r"/[ab]{1,3}(/\{id\})?/", fullmatch=True)
OPERATION = st.tuples(st.lists(st.sampled_from(TAGS), max_size=3, unique=True), st.booleans())
SPECS = st.fixed_dictionaries(
    {
        "paths": st.dictionaries(
            PATHS,
            st.dictionaries(st.sampled_from(METHODS), OPERATION, min_size=1),
            min_size=1,
            max_size=14,
        ),
        "declared": st.permutations(DECLARABLE).flatmap(
            lambda p: st.integers(0, 5).map(lambda n: p[:n])
        ),
        "typed": st.lists(st.tuples(st.sampled_from(METHODS), PATHS), max_size=4, unique=True),
    }
)
_names = iter(range(10**6))


@PROPERTY
@given(spec=SPECS)
async def test_any_spec_is_listed_as_the_grouping_by_tag_lists_it(
    db: Database, spec: dict[str, Any]
) -> None:
    specs = SpecsService(db, off_loop=in_thread)
    name = f"spec-{next(_names)}"
    for method, path in spec["typed"]:
        await specs.add_manual(GUILD, ADMIN, name, make_manual_draft(method, path, f"Typed {path}"))
    paths = {
        path: {
            m: operation(tags, f"{m} {path}", deprecated) for m, (tags, deprecated) in ops.items()
        }
        for path, ops in spec["paths"].items()
    }
    await specs.import_document(GUILD, ADMIN, name, "spec.json", document(paths, spec["declared"]))
    with contextlib.suppress(AlreadyExists):  # typed after the import, beside it
        await specs.add_manual(GUILD, ADMIN, name, make_manual_draft("GET", "/b/", "Late"))
    await check_every_page(specs, db, name)


# -- a page turn on a big spec reads a page --------------------------------------------------------

ENDPOINTS = 20_000
BIG_TAGS = [f"area-{n:02d}" for n in range(24)]


def widened(endpoints: int, changes: Sequence[Change] = ()) -> Any:
    """An analysis that reads a small document, then stands for one of `endpoints` endpoints
    (rows shaped like its own) that brought `changes`, so the store path writes them without
    minutes of parsing and diffing."""

    async def off_loop(function: Any, *args: Any) -> Analysis:
        analysis: Analysis = await in_thread(function, *args)
        template = analysis.endpoint_rows[0]
        rows = []
        for i in range(endpoints):
            method = ("GET", "PUT", "PATCH", "DELETE")[i % 4]
            path = f"/api/v1/{BIG_TAGS[i // 4 % 24]}/{i // 4:05d}/"
            key = f"{method} {path}"
            tags = (
                []
                if i % 97 == 0
                else [BIG_TAGS[i // 4 % 24], *([BIG_TAGS[i % 7]] if i % 5 == 0 else [])]
            )
            row = {
                **template,
                "method": method,
                "path": path,
                "key": key,
                "key_hash": key_hash(key),
            }
            rows.append({**row, "summary": f"Do {method} {i}", "tags": list(dict.fromkeys(tags))})
        # Each endpoint's details are a line of the model, as the template's are.
        version_line, detail = zlib.decompress(analysis.model).decode().split("\n")[:2]
        model = zlib.compress("\n".join([version_line, *[detail] * endpoints]).encode())
        return replace(analysis, model=model, endpoint_rows=tuple(rows), changes=tuple(changes))

    return off_loop


@dataclass
class Reads:
    statements: int = 0
    rows: int = 0


@contextmanager
def reads(db: Database) -> Iterator[Reads]:
    """The statements run and the rows they returned to Python, while the block runs."""
    counted = Reads()

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counted.statements += 1
        # The async SQLite adapter fetches a SELECT's rows as it runs it, into `_rows`.
        counted.rows += len(cursor._rows) if cursor.description else 0

    event.listen(db.engine.sync_engine, "after_cursor_execute", after)
    try:
        yield counted
    finally:
        event.remove(db.engine.sync_engine, "after_cursor_execute", after)


@pytest.mark.finding("8 page turns on a large spec fail")
async def test_a_page_turn_on_20000_endpoints_reads_a_page_not_the_spec(db: Database) -> None:
    specs = SpecsService(db, off_loop=widened(ENDPOINTS))
    declared = [{"get": operation([t], t)} for t in reversed(BIG_TAGS)]
    paths = {f"/{n}/": ops for n, ops in enumerate(declared)}
    await specs.import_document(GUILD, ADMIN, "big", "big.json", document(paths, BIG_TAGS[::-1]))
    await specs.add_manual(GUILD, ADMIN, "big", make_manual_draft("GET", "/typed/", "By hand"))
    chunks, first_pages, total = await expected_listing(db, "big")
    assert total == ENDPOINTS + 1

    first = await specs.listing(GUILD, spec_name="big")
    rows, times = [], []
    for page in (1, 2, 500, len(chunks) // 2, len(chunks) - 1, len(chunks)):
        started = time.perf_counter()
        with reads(db) as read:
            got = await specs.listing(GUILD, spec_id=first.spec.id, page=page)
        seconds = time.perf_counter() - started
        check_page(got, chunks, first_pages, total, page)
        # The spec, its version, the size of each tag, the count, the page: never the spec.
        assert read.rows <= PER_PAGE + len(first_pages) + 4, read
        assert read.statements <= 6, read
        rows.append(read.rows)
        times.append(seconds * 1000)
    report(
        "spec listing (20,000 endpoints)",
        rows_read_per_turn=max(rows),
        turn_ms_mean=sum(times) / len(times),
    )
    assert len(first_pages) == len(BIG_TAGS) + 2


# -- a changelog page of thousands of changes reads a page ----------------------------------------

RULES = ("path-removed", "operation-deprecated", "path-added", "parameter-added-optional")


def brought(count: int, seed: int) -> list[Change]:
    """`count` changes of every severity, several on one endpoint, in no particular order."""
    return [
        Change(
            RULES[(i * seed) % len(RULES)],
            f"GET /api/v1/things/{(i * 7919 * seed) % (count // 3):05d}/",
            f"change {i} of {seed}",
        )
        for i in range(count)
    ]


@pytest.mark.finding("8 page turns on a large spec fail")
async def test_a_changelog_page_reads_a_page_of_thousands_of_changes(db: Database) -> None:
    paths = {"/a/": {"get": operation(["a"], "A")}}
    for number, changes in enumerate([[], brought(3000, 1), brought(2000, 3)], start=1):
        specs = SpecsService(db, off_loop=widened(10, changes))
        await specs.import_document(
            GUILD, ADMIN, "log", f"v{number}.json", document(paths, [f"v{number}"])
        )
    async with db.read() as session:
        rows = (
            await session.execute(
                select(SpecChange, SpecVersion.number, SpecVersion.label)
                .join(SpecVersion, SpecVersion.id == SpecChange.version_id)
                .order_by(SpecChange.id)
            )
        ).all()
    # Most severe first, the newest version first, then by endpoint; as brought, among equals.
    expected = [
        StoredChange(n, label, c.severity, c.rule, c.endpoint_key, c.message)
        for c, n, label in sorted(
            rows, key=lambda r: (SEVERITY_ORDER[r[0].severity], -r[1], r[0].endpoint_key)
        )
    ]
    counts = {s: sum(1 for c in expected if c.severity == s) for s in SEVERITY_ORDER}
    assert len(expected) == 5000
    assert all(counts.values())

    first = await specs.changes(GUILD, spec_name="log", older="1", newer="3")
    pages = page_count(len(expected), 12)
    for page in (1, 2, 100, pages // 2, pages - 1, pages, pages + 3):
        with reads(db) as read:
            got = await specs.changes(GUILD, spec_id=first.spec.id, older="1", newer="3", page=page)
        shown = min(page, pages)
        assert (got.page, got.pages, got.total, got.counts) == (
            shown,
            pages,
            len(expected),
            counts,
        )
        assert list(got.changes) == expected[(shown - 1) * 12 : shown * 12]
        # The spec, both versions, a count per severity, the page: never the changelog.
        assert read.rows <= 12 + len(SEVERITY_ORDER) + 3, read
    latest = await specs.changes(GUILD, spec_name="log")  # the latest against the one before
    assert (latest.older.number, latest.newer.number, latest.total) == (2, 3, 2000)
