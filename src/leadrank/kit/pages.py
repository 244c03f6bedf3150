"""Keyset pages of rows newest first: a page ends at `limit` rows, and the next one starts
below the last id shown (stable while new rows arrive, unlike offsets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

Row = TypeVar("Row")


def newest_first(
    statement: Select[Row], id_column: InstrumentedAttribute[int], *, before: int | None, limit: int
) -> Select[Row]:
    """The statement's rows with ids below `before`, newest first, `limit` of them."""
    if before is not None:
        statement = statement.where(id_column < before)
    return statement.order_by(id_column.desc()).limit(limit)


def next_before(ids: Sequence[int], limit: int) -> int | None:
    """Where the next page starts: the last id of a full page, or None after the last page."""
    return ids[-1] if len(ids) == limit else None
