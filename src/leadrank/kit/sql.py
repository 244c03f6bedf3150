"""SQL helpers: batching, the table behind a model, and inserts that skip existing keys."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leadrank.orm.base import Base


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
