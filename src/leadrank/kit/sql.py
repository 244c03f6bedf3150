"""SQL helpers: one row or 404, batching, the table behind a model, and inserts that skip
existing keys."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from leadrank.errors import NotFound
from leadrank.orm.base import Base

Row = TypeVar("Row", bound=Base)


def get_or_404(session: Session, model: type[Row], key: int, *, name: str) -> Row:
    """The row of `model` with this primary key; NotFound ("no <name> <key>") when there is none."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"no {name} {key}")
    return row


def batched(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most `size` values."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def table_of(model: type[Base]) -> Table:
    """The Table behind an ORM class."""
    return cast(Table, model.__table__)


def insert_missing(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows whose key is not there yet; rows already present are left alone, even
    when another process inserts them at the same moment."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(postgresql_insert(table).values(rows).on_conflict_do_nothing())
    elif dialect == "sqlite":
        connection.execute(sqlite_insert(table).values(rows).on_conflict_do_nothing())
    else:  # pragma: no cover - the two backends leadrank supports are above
        raise NotImplementedError(dialect)
