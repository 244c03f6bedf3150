"""Set-based SQL helpers shared by the bulk paths: batching and updates by primary key."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from leadrank.orm.base import Base

# SQLite allows 32,766 bound variables per statement; stay well below with room for others.
LOOKUP_BATCH = 5_000


def batched(values: Sequence[Any], size: int = LOOKUP_BATCH) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most `size` values."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def table_of(model: type[Base]) -> Table:
    """The Table behind an ORM class."""
    return cast(Table, model.__table__)


def update_by_id(session: Session, model: type[Base], rows: Iterable[dict[str, Any]]) -> int:
    """Update rows by primary key; each dict has "id" plus the columns to set (same keys each)."""
    table = table_of(model)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        columns = tuple(sorted(k for k in row if k != "id"))
        if columns:
            params = {f"v_{k}": v for k, v in row.items() if k != "id"}
            params["k_id"] = row["id"]
            by_columns.setdefault(columns, []).append(params)
    count = 0
    for columns, batch in by_columns.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("k_id"))
            .values({name: bindparam(f"v_{name}") for name in columns})
        )
        session.connection().execute(statement, batch)
        count += len(batch)
    return count
