"""Pages of a list: how many there are, and which one a member asked for, within them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items make, `per_page` a page (one, even when there are none)."""
    return max(1, math.ceil(total / per_page))


def paginate(total: int, per_page: int, page: int) -> tuple[int, int]:
    """(number of pages, `page` brought inside them)."""
    pages = page_count(total, per_page)
    return pages, min(max(page, 1), pages)


def page_of(items: Sequence[T], per_page: int, page: int) -> Sequence[T]:
    """The items on `page` (counted from 1) of `items`, `per_page` a page."""
    return items[(page - 1) * per_page : page * per_page]
