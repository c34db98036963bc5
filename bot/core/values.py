"""Plain values made from stored rows: the fields a value shares with its row, copied by name."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

V = TypeVar("V", bound="DataclassInstance")


def rowcount(result: object) -> int:
    """Rows an UPDATE or DELETE touched (0 when the driver does not say)."""
    return int(getattr(result, "rowcount", 0) or 0)


def from_row(cls: type[V], row: object, **given: Any) -> V:
    """A `cls` whose fields are the same-named attributes of `row`, but for those `given`.

    `given` holds what the row does not keep as the value does (a tuple where it keeps a list,
    a count from another query); every other field must be an attribute of the row.
    """
    copied = {f.name: getattr(row, f.name) for f in fields(cls) if f.init and f.name not in given}
    return cls(**copied, **given)
