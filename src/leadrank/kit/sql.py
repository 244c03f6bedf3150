"""Set-based SQL helpers shared by the bulk paths: batched lookups, inserts and updates."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
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


def insert_returning_ids(
    session: Session, model: type[Base], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert rows in one executemany and return their new ids in input order."""
    table = table_of(model)
    if not rows:
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, rows).scalars())


def insert_many(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert rows in one executemany."""
    if rows:
        session.execute(insert(table_of(model)), rows)


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
