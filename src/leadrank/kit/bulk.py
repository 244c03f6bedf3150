"""Columnar bulk writes and key lookups that skip per-row ORM parameter processing.

SQLAlchemy's executemany builds a parameter dict per row, which caps inserts at a few thousand
rows a second. Bulk paths hand a Polars frame to the driver instead: `executemany` over tuples
on SQLite, `COPY ... FROM STDIN` on PostgreSQL. Values are converted the way the column types
would store them (UTC datetimes as text on SQLite, JSON already encoded as text).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from leadrank.kit.sql import table_of
from leadrank.orm.base import Base

COPY_CHUNK_ROWS = 50_000
# The text form SQLAlchemy's SQLite DateTime type stores; read back by the same type.
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S%.6f"


def _driver_connection(session: Session) -> Any:
    """The DB-API connection of the session's transaction (so writes share it)."""
    return session.connection().connection.driver_connection


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _prepared(frame: pl.DataFrame, *, sqlite: bool) -> pl.DataFrame:
    """Columns converted to what the driver should receive."""
    converted = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            utc = (
                column.dt.convert_time_zone("UTC")
                if dtype.time_zone
                else column.dt.replace_time_zone("UTC")
            )
            fmt = SQLITE_DATETIME if sqlite else SQLITE_DATETIME + "+00:00"
            converted.append(utc.dt.strftime(fmt).alias(name))
        elif dtype == pl.Boolean and sqlite:
            converted.append(column.cast(pl.Int8).alias(name))
        else:
            converted.append(column)
    return frame.select(converted)


def bulk_insert(
    session: Session, model: type[Base], frame: pl.DataFrame, *, return_ids: bool = False
) -> list[int]:
    """Insert every row of `frame` (columns named as the table's); new ids in row order."""
    if frame.is_empty():
        return []
    table = table_of(model)
    unknown = set(frame.columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")
    if _is_sqlite(session):
        return _sqlite_insert(session, table.name, frame, return_ids)
    return _postgres_copy(session, table.name, frame, return_ids)


def _sqlite_insert(
    session: Session, table: str, frame: pl.DataFrame, return_ids: bool
) -> list[int]:
    prepared = _prepared(frame, sqlite=True)
    columns = ", ".join(f'"{c}"' for c in prepared.columns)
    marks = ", ".join("?" for _ in prepared.columns)
    cursor = _driver_connection(session).cursor()
    try:
        cursor.executemany(
            f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', prepared.iter_rows()
        )
        if not return_ids:
            return []
        # Rowids are max+1 each: consecutive, since this transaction holds the write lock.
        last = cursor.execute("SELECT last_insert_rowid()").fetchone()[0]
    finally:
        cursor.close()
    return list(range(last - frame.height + 1, last + 1))


def _postgres_copy(
    session: Session, table: str, frame: pl.DataFrame, return_ids: bool
) -> list[int]:
    connection = _driver_connection(session)
    ids: list[int] = []
    with connection.cursor() as cursor:
        if return_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                (table, frame.height),
            )
            ids = [row[0] for row in cursor.fetchall()]
            frame = frame.with_columns(pl.Series("id", ids, dtype=pl.Int64))
        prepared = _prepared(frame, sqlite=False)
        columns = ", ".join(f'"{c}"' for c in prepared.columns)
        with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN (FORMAT csv)') as copy:
            for start in range(0, prepared.height, COPY_CHUNK_ROWS):
                chunk = prepared.slice(start, COPY_CHUNK_ROWS)
                copy.write(chunk.write_csv(include_header=False))
    return ids


def lookup_in(
    session: Session,
    *,
    table: str,
    select: Sequence[str],
    column: str,
    values: Sequence[str],
    where: dict[str, str] | None = None,
) -> list[tuple[Any, ...]]:
    """Rows of `table` whose `column` is one of `values`, in one statement of one parameter."""
    if not values:
        return []
    where = where or {}
    conditions = [f'"{name}" = ?' for name in where]
    listed = ", ".join(f'"{c}"' for c in select)
    cursor = _driver_connection(session).cursor()
    try:
        if _is_sqlite(session):
            sql = f'SELECT {listed} FROM "{table}" WHERE ' + " AND ".join(
                [*conditions, f'"{column}" IN (SELECT value FROM json_each(?))']
            )
            cursor.execute(sql, (*where.values(), json.dumps(list(values))))
        else:
            sql = f'SELECT {listed} FROM "{table}" WHERE ' + " AND ".join(
                [*(c.replace("?", "%s") for c in conditions), f'"{column}" = ANY(%s)']
            )
            cursor.execute(sql, (*where.values(), list(values)))
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()
