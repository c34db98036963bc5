"""YAML read from libyaml's events gives what PyYAML's constructor gives, and refuses the same.

`load_yaml` builds values from the parser's events (no node tree kept) and looks a line up only
when a warning asks for one; PyYAML's own path (compose, measure the aliases, construct) stays
for documents with tags or merge keys. Each quirk below is read both ways and compared.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.specs.openapi import DocumentRejected, read_spec
from bot.specs.openapi.loading import (
    YamlSource,
    _construct,
    _SpecLoader,
    gc_paused,
    line_of,
    load_yaml,
    scalar_text,
)
from tests.fixtures.openapi.builders import yaml_of_size

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openapi"

QUIRKS = {
    "numbers as YAML 1.1 reads them": (
        "a: 0.1\nb: 1.10\nc: 017\nd: 0x1F\ne: 1_000\nf: +12\ng: -0\nh: 1:30\ni: .inf\n"
        "j: -.Inf\nk: 6.02e+23\nl: 0b101\nm: 190:20:30.15\nn: 1e3\n"
    ),
    "booleans and nulls": "a: yes\nb: No\nc: on\nd: OFF\ne: ~\nf:\ng: null\nh: 'yes'\ni: True\n",
    "keys stay the text written": "200: a\non: b\nyes: c\n1.10: d\n~: e\nnull: f\n'404': g\n",
    "dates stay text": "a: 2026-07-10\nb: 2026-07-10T10:00:00Z\nc: 2026-13-45\n",
    "quoted and block scalars": "a: \"1.0\"\nb: '~'\nc: |\n  two\n  lines\nd: >-\n  fold\n  it\n",
    "flow collections": "a: {x: 1, y: [1, 2, {z: null}]}\nb: []\nc: {}\n",
    "a repeated key keeps the last value": "a: 1\nb: 2\na: 3\n",
    "aliases share the anchored value": "a: &x {k: [1, 2]}\nb: *x\nc: &s yes\nd: *s\ne: [*x, *s]\n",
    "an anchored key read as a value": "&k 200: a\nb: *k\n",
    "an alias as a key is its text": "a: &k name\n*k : value\n",
    "a merge key": "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n",
    "explicit tags": "a: !!str 1.0\nb: !!int '7'\nc: !!float 1\nd: !!binary aGk=\n",
    "an empty value and an empty document part": "a:\nb: ''\nc: [~, '']\n",
    "unicode and escapes": 'a: "caf\\u00e9 \\t"\nb: ünïcode\nc: "\\x41"\n',
}


def classic(text: str) -> object:
    """What PyYAML's own path (node tree, then its constructor) reads."""
    loader = _SpecLoader(text)
    try:
        with gc_paused():
            return _construct(loader, text)[0]
    finally:
        loader.dispose()


@pytest.mark.parametrize("text", QUIRKS.values(), ids=list(QUIRKS))
def test_the_values_are_those_of_pyyamls_constructor(text: str) -> None:
    value, source = load_yaml(text)
    assert typed(value) == typed(classic(text))  # 1, 1.0 and True told apart
    assert isinstance(source, YamlSource)


def test_the_generated_3mb_document_reads_the_same_both_ways() -> None:
    text = yaml_of_size(3.0)[0].decode()
    value, source = load_yaml(text)
    assert value == classic(text)
    assert source.tree is None  # nothing asked for a line: no node tree was composed


def test_an_alias_is_the_anchored_object_itself() -> None:
    value, _ = load_yaml("a: &x {k: 1}\nb: *x\n")
    assert value["a"] is value["b"]


def test_lines_are_found_on_demand_at_the_pointer() -> None:
    text = "openapi: 3.0.3\ninfo:\n  title: t\n  version: 1.10\npaths:\n  /a:\n    get:\n"
    text += "      parameters:\n        - name: id\n          in: querry\n"
    _, source = load_yaml(text)
    assert source.tree is None
    assert line_of(source, ["info", "version"]) == 4
    assert line_of(source, ["paths", "/a", "get", "parameters", 0, "in"]) == 10
    # A part not found: the line where the deepest value found starts (the `get` object's).
    assert line_of(source, ["paths", "/a", "get", "missing", "deeper"]) == 8
    assert scalar_text(source, ["info", "version"]) == "1.10"
    assert scalar_text(source, ["info", "nothing"]) is None
    assert source.tree is not None


def test_a_warning_in_a_yaml_document_names_its_line() -> None:
    spec = read_spec((FIXTURES / "broken-structure.yaml").read_bytes(), "broken.yaml")
    text = "\n".join(str(w) for w in spec.warnings)
    assert "`/paths/~1api~1v1~1listings~1/get/parameters/0/in`, line 9" in text


def test_a_number_version_keeps_the_text_written() -> None:
    text = (
        "openapi: 3.0.3\ninfo: {title: t, version: 0.10}\npaths:\n  /p:\n    get:\n"
        "      responses: {'200': {description: ok}}\n"
    )
    spec = read_spec(text.encode(), "v.yaml")
    assert spec.api_version == "0.10"
    assert "line 2" in str(spec.warnings[0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &a [1, *a]\n", "recursive anchor"),
        ("a: &a {b: {c: *a}}\n", "recursive anchor"),
        ("a: *nowhere\n", "found undefined alias 'nowhere'"),
        ("a: &x 1\nb: &x 2\n", "defines the anchor `&x` twice"),
        ("a: 1\n---\nb: 2\n", "more than one YAML document"),
        ("? [a, b]\n: c\n", "A mapping key is a list or a mapping"),
        ("? {a: b}\n: c\n", "A mapping key is a list or a mapping"),
        ("a: &k [1]\n*k : c\n", "A mapping key is a list or a mapping"),
        ("a: [unclosed\n", "The YAML cannot be read"),
        ("# only a comment\n", "The file has no content"),
        (f"a: {'9' * 5000}\n", "over 4,300 digits"),
        ("a: =\n", "The YAML cannot be read"),
        ("a: !custom x\n", "The YAML cannot be read"),
    ],
)
def test_bad_yaml_is_refused_clearly(text: str, expected: str) -> None:
    with pytest.raises(DocumentRejected) as caught:
        load_yaml(text)
    assert expected in caught.value.message


def test_a_refusal_names_the_line() -> None:
    with pytest.raises(DocumentRejected) as caught:
        load_yaml("a: 1\nb:\n  c: &k {x: 1}\n  *k : 2\n")
    assert caught.value.problems[0].line == 3  # where the mapping used as a key is written


def test_nesting_through_aliases_is_measured_before_it_is_expanded() -> None:
    lines = ["l0: &l0 [x]"] + [f"l{i}: &l{i} [*l{i - 1}]" for i in range(1, 160)]
    with pytest.raises(DocumentRejected) as caught:
        load_yaml("\n".join(lines) + "\n")
    assert "nests deeper than 150 levels" in caught.value.message


def test_deep_plain_nesting_is_refused_at_its_pointer() -> None:
    text = "a: " + "[" * 400 + "]" * 400 + "\n"
    with pytest.raises(DocumentRejected) as caught:
        load_yaml(text)
    assert "nests deeper than 150 levels" in caught.value.message
    assert caught.value.problems[0].pointer.startswith("/a/0/0/0")


def test_the_alias_bomb_is_refused_at_its_line_both_ways() -> None:
    text = (FIXTURES / "alias-bomb.yaml").read_text()
    for read in (load_yaml, classic):
        with pytest.raises(DocumentRejected) as caught:
            read(text)
        assert "alias bomb" in caught.value.message
        assert caught.value.problems[0].line == 11


def test_the_collector_is_back_on_after_a_read_and_after_a_refusal() -> None:
    assert gc.isenabled()
    load_yaml("a: 1\n")
    assert gc.isenabled()
    with pytest.raises(DocumentRejected):
        load_yaml("a: [\n")
    assert gc.isenabled()
    gc.disable()
    try:
        load_yaml("a: 1\n")
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


TRICKY = (
    "yes", "No", "on", "OFF", "y", "n", "~", "null", "Null", "", "0", "017", "0o17", "0x1F",
    "1_000", "1:30", "1.10", "0.1", ".inf", "-.Inf", ".NaN", "1e3", "6.02e+23", "2026-07-10",
    "<<", "=", "-", "?", ":", "#x", "&a", "*a", "!tag", "%x", "@x", "`x", "'x'", '"x"', "a: b",
    "a #b", "- a", "[a]", "{a}", " lead", "trail ", "two\nlines", "tab\there", "caf\u00e9",
)  # fmt: skip
scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=12),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(TRICKY), st.text(max_size=8)), inner, max_size=4),
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=st.dictionaries(st.sampled_from(TRICKY), values, min_size=1, max_size=5),
    shared=st.one_of(st.lists(values, min_size=1, max_size=3), st.dictionaries(st.text(), values)),
    flow=st.sampled_from([None, True, False]),
    style=st.sampled_from([None, "'", '"', "|"]),
)
def test_any_document_pyyaml_writes_reads_as_its_constructor_reads_it(
    value: dict[str, object], shared: object, flow: bool | None, style: str | None
) -> None:
    value["first"] = value["again"] = [shared, shared]  # written once, then as aliases
    text = yaml.safe_dump(value, default_flow_style=flow, default_style=style, sort_keys=False)
    assert typed(load_yaml(text)[0]) == typed(classic(text))


def typed(value: object) -> object:
    """The value with each scalar's type beside it (so 1, 1.0 and True differ)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)
