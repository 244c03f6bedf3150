"""SQL helpers shared by the bulk paths: batching, and the table behind a model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Table

from leadrank.orm.base import Base


def batched(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most `size` values."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def table_of(model: type[Base]) -> Table:
    """The Table behind an ORM class."""
    return cast(Table, model.__table__)
