"""Columnar bulk writes and key lookups that skip per-row ORM parameter processing.

SQLAlchemy's executemany builds a parameter dict per row, which caps inserts at a few thousand
rows a second. Bulk paths hand a Polars frame to the driver instead: `executemany` over tuples
on SQLite, `COPY ... FROM STDIN` on PostgreSQL. Values are converted the way the column types
would store them (UTC datetimes as text on SQLite, JSON already encoded as text).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import chain
from typing import Any

import polars as pl
from sqlalchemy import JSON, BigInteger, Boolean, Float, Integer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadrank.kit.sql import batched, table_of
from leadrank.orm.base import Base, EncodedJson, UtcDateTime

COPY_CHUNK_ROWS = 50_000
SQLITE_ROWS_PER_INSERT = 200
SQLITE_MAX_PARAMS = 32_766  # SQLite's default bound on parameters per statement (3.32+)
LOOKUP_BATCH = 50_000  # values per lookup statement
UTC_TYPE = pl.Datetime("us", "UTC")
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
        if dtype == pl.String and not sqlite:
            # PostgreSQL text and JSONB cannot hold NUL; SQLite keeps it. U+FFFD marks the spot.
            converted.append(
                column.str.replace_all("\x00", "\ufffd", literal=True)
                .str.replace_all("\\u0000", "\\ufffd", literal=True)
                .alias(name)
            )
            continue
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
    _check_columns(model, frame)
    clash = session.get_bind().dialect.loaded_dbapi.IntegrityError
    try:
        if _is_sqlite(session):
            return _sqlite_insert(session, table.name, frame, return_ids)
        return _postgres_copy(session, table.name, frame, return_ids)
    except clash as exc:  # as SQLAlchemy's own statements say it, for callers to catch one way
        raise IntegrityError(f"bulk insert into {table.name}", None, exc) from exc


def _sqlite_insert(
    session: Session, table: str, frame: pl.DataFrame, return_ids: bool
) -> list[int]:
    prepared = _prepared(frame, sqlite=True)
    columns = ", ".join(f'"{c}"' for c in prepared.columns)
    one_row = "(" + ", ".join("?" for _ in prepared.columns) + ")"
    # Many rows per statement: the driver's per-statement cost is paid once per group.
    per_statement = max(1, min(SQLITE_ROWS_PER_INSERT, SQLITE_MAX_PARAMS // len(prepared.columns)))
    rows = prepared.rows()
    whole = len(rows) - len(rows) % per_statement
    cursor = _driver_connection(session).cursor()
    try:
        if whole:
            cursor.executemany(
                f'INSERT INTO "{table}" ({columns}) VALUES ' + ", ".join([one_row] * per_statement),
                (
                    list(chain.from_iterable(rows[start : start + per_statement]))
                    for start in range(0, whole, per_statement)
                ),
            )
        if whole < len(rows):
            cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES {one_row}', rows[whole:])
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
    values: Sequence[str] | Sequence[int],
    where: dict[str, str] | None = None,
) -> list[tuple[Any, ...]]:
    """Rows of `table` whose `column` is one of `values`: one statement of one array (or JSON)
    parameter per LOOKUP_BATCH values."""
    where = where or {}
    conditions = [f'"{name}" = ?' for name in where]
    listed = ", ".join(f'"{c}"' for c in select)
    if _is_sqlite(session):
        sql = f'SELECT {listed} FROM "{table}" WHERE ' + " AND ".join(
            [*conditions, f'"{column}" IN (SELECT value FROM json_each(?))']
        )
    else:
        sql = f'SELECT {listed} FROM "{table}" WHERE ' + " AND ".join(
            [*(c.replace("?", "%s") for c in conditions), f'"{column}" = ANY(%s)']
        )
    found: list[tuple[Any, ...]] = []
    cursor = _driver_connection(session).cursor()
    try:
        for batch in batched(values, LOOKUP_BATCH):
            listed_values: Any = json.dumps(list(batch)) if _is_sqlite(session) else list(batch)
            cursor.execute(sql, (*where.values(), listed_values))
            found.extend(tuple(row) for row in cursor.fetchall())
    finally:
        cursor.close()
    return found


def bulk_update(session: Session, model: type[Base], frame: pl.DataFrame) -> int:
    """Set every other column of `frame` on the row whose id is in its "id" column."""
    if frame.is_empty():
        return 0
    _check_columns(model, frame)
    table = table_of(model).name
    columns = [c for c in frame.columns if c != "id"]
    if _is_sqlite(session):
        prepared = _prepared(frame.select(*columns, "id"), sqlite=True)
        assignments = ", ".join(f'"{c}" = ?' for c in columns)
        cursor = _driver_connection(session).cursor()
        try:
            cursor.executemany(f'UPDATE "{table}" SET {assignments} WHERE id = ?', prepared.rows())
        finally:
            cursor.close()
        return frame.height
    # PostgreSQL: COPY into a temporary copy of the table, then one UPDATE ... FROM.
    staging = f"_staging_{table}"
    prepared = _prepared(frame, sqlite=False)
    listed = ", ".join(f'"{c}"' for c in prepared.columns)
    assignments = ", ".join(f'"{c}" = s."{c}"' for c in columns)
    with _driver_connection(session).cursor() as cursor:
        # Same column types, no constraints: only the columns being set are filled.
        cursor.execute(f'DROP TABLE IF EXISTS "{staging}"')
        cursor.execute(
            f'CREATE TEMP TABLE "{staging}" ON COMMIT DROP AS '
            f'SELECT {listed} FROM "{table}" WITH NO DATA'
        )
        with cursor.copy(f'COPY "{staging}" ({listed}) FROM STDIN (FORMAT csv)') as copy:
            for start in range(0, prepared.height, COPY_CHUNK_ROWS):
                copy.write(prepared.slice(start, COPY_CHUNK_ROWS).write_csv(include_header=False))
        # Rows locked in id order first: two requests updating the same companies in different
        # orders would otherwise deadlock, one of them rolled back.
        cursor.execute(
            f'SELECT 1 FROM "{table}" WHERE id IN (SELECT id FROM "{staging}") '
            "ORDER BY id FOR UPDATE"
        )
        cursor.execute(f'UPDATE "{table}" t SET {assignments} FROM "{staging}" s WHERE t.id = s.id')
    return frame.height


def select_frame(
    session: Session, model: type[Base], ids: Sequence[int], columns: Sequence[str]
) -> pl.DataFrame:
    """Rows by id as a frame: JSON columns as their text, datetimes as UTC, booleans as bool."""
    table = table_of(model)
    sqlite = _is_sqlite(session)
    listed = ", ".join(
        f'"{c}"' if sqlite or not _is_json(table.c[c].type) else f'"{c}"::text' for c in columns
    )
    rows: list[tuple[Any, ...]] = []
    cursor = _driver_connection(session).cursor()
    try:
        for start in range(0, len(ids), 50_000):
            batch = list(ids[start : start + 50_000])
            if sqlite:
                sql = f'SELECT {listed} FROM "{table.name}" WHERE id IN (SELECT value FROM json_each(?))'
                cursor.execute(sql, (json.dumps(batch),))
            else:
                cursor.execute(f'SELECT {listed} FROM "{table.name}" WHERE id = ANY(%s)', (batch,))
            rows.extend(cursor.fetchall())
    finally:
        cursor.close()
    return _typed_frame(rows, table, columns, sqlite=sqlite)


def select_all(session: Session, model: type[Base], columns: Sequence[str]) -> pl.DataFrame:
    """Every row of a table as a frame, typed as `select_frame` types them."""
    table = table_of(model)
    sqlite = _is_sqlite(session)
    listed = ", ".join(
        f'"{c}"' if sqlite or not _is_json(table.c[c].type) else f'"{c}"::text' for c in columns
    )
    cursor = _driver_connection(session).cursor()
    try:
        cursor.execute(f'SELECT {listed} FROM "{table.name}" ORDER BY id')
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return _typed_frame(rows, table, columns, sqlite=sqlite)


def _typed_frame(
    rows: list[tuple[Any, ...]], table: Any, columns: Sequence[str], *, sqlite: bool
) -> pl.DataFrame:
    schema = {c: _polars_type(table.c[c].type) for c in columns}
    # SQLite hands back datetimes as text and booleans as integers.
    raw_schema: dict[str, pl.DataType] = {
        c: (pl.String() if t == UTC_TYPE else pl.Int64() if t == pl.Boolean else t) if sqlite else t
        for c, t in schema.items()
    }
    frame = pl.DataFrame(rows, schema=raw_schema, orient="row")
    if sqlite:
        frame = frame.with_columns(
            # The one text form SQLite columns hold here; naming it skips format inference.
            pl.col(c)
            .str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
            .dt.replace_time_zone("UTC")
            if t == UTC_TYPE
            else pl.col(c).cast(pl.Boolean)
            if t == pl.Boolean
            else pl.col(c)
            for c, t in schema.items()
        )
    return frame


def _check_columns(model: type[Base], frame: pl.DataFrame) -> None:
    # Names are quoted into SQL: only the table's own columns may be written.
    table = table_of(model)
    unknown = set(frame.columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")


def _is_json(column_type: Any) -> bool:
    return isinstance(column_type, EncodedJson | JSON)


def _polars_type(column_type: Any) -> pl.DataType:
    """The frame type of a column as bulk paths handle it."""
    if isinstance(column_type, UtcDateTime):
        return UTC_TYPE
    if isinstance(column_type, Boolean):
        return pl.Boolean()
    if isinstance(column_type, Integer | BigInteger):
        return pl.Int64()
    if isinstance(column_type, Float):
        return pl.Float64()
    return pl.String()
