"""Identifiers for generated TypeScript: names from the document made valid, unique and safe."""

from __future__ import annotations

import json
import re

IDENTIFIER_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
WORD_RE = re.compile(r"[A-Za-z0-9]+")
# Words that cannot name a function or a variable in TypeScript.
RESERVED_WORDS = frozenset(
    {
        "abstract",
        "any",
        "as",
        "async",
        "await",
        "bigint",
        "boolean",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "constructor",
        "continue",
        "debugger",
        "declare",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "from",
        "function",
        "get",
        "if",
        "implements",
        "import",
        "in",
        "infer",
        "instanceof",
        "interface",
        "is",
        "keyof",
        "let",
        "module",
        "namespace",
        "never",
        "new",
        "null",
        "number",
        "object",
        "of",
        "package",
        "private",
        "protected",
        "public",
        "readonly",
        "require",
        "return",
        "set",
        "static",
        "string",
        "super",
        "switch",
        "symbol",
        "this",
        "throw",
        "true",
        "try",
        "type",
        "typeof",
        "undefined",
        "unique",
        "unknown",
        "var",
        "void",
        "while",
        "with",
        "yield",
    }
)
# Global names the generated code uses: a type named like one of the first would hide it from
# the code's types, a function named like one of the second from its statements.
TYPE_GLOBALS = frozenset({"Blob", "Promise"})
VALUE_GLOBALS = frozenset(
    {"Error", "FormData", "JSON", "String", "URLSearchParams", "encodeURIComponent", "fetch"}
)


def pascal(text: str) -> str:
    """`booking-request.v2` -> `BookingRequestV2`; always a valid identifier."""
    words = WORD_RE.findall(text)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Type"
    return name if not name[0].isdigit() else f"T{name}"


def camel(text: str) -> str:
    """`GetBooking` -> `getBooking`, never a reserved word or a global the code uses."""
    name = pascal(text)
    name = name[:1].lower() + name[1:]
    return f"{name}Call" if name in RESERVED_WORDS or name in VALUE_GLOBALS else name


def property_key(name: str) -> str:
    """A property name as TypeScript writes it: bare when it can be, else a quoted string."""
    return name if IDENTIFIER_RE.match(name) else literal(name)


def literal(value: str) -> str:
    """A string as a TypeScript literal (ASCII only: no line separator can end a line early)."""
    return json.dumps(value, ensure_ascii=True)


def comment_text(text: str, limit: int = 200) -> str:
    """Document text safe inside a `/* */` or `//` comment: one line, never closing it."""
    line = " ".join(str(text).split())
    line = line.replace("*/", "* /")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class Names:
    """Identifiers handed out once each (a type and an operation never share one)."""

    def __init__(self) -> None:
        self._taken: set[str] = set(TYPE_GLOBALS)

    def claim(self, wanted: str, suffixes: tuple[str, ...] = ("",)) -> str:
        """The first of `wanted`, `wanted2`, ... whose every `name + suffix` is still free."""
        for number in range(1, 100_000):
            base = wanted if number == 1 else f"{wanted}{number}"
            names = [base + s for s in suffixes]
            if not any(n in self._taken for n in names):
                self._taken.update(names)
                return base
        raise ValueError("no free name")  # 100,000 schemas of one name: not a real document
