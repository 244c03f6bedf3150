"""Engines and sessions for SQLite (embedded default) and PostgreSQL, chosen by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from leadrank.errors import BadInput

WRITES = "leadrank_writes"  # execution option: this transaction will write


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (API, dashboard) work while an import writes; NORMAL sync is safe with WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    # 64 MiB of pages: enough for bulk loads, and keeps a 1M-lead import under 2 GB.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A transaction that reads and then writes cannot wait for another writer once that one
    # has committed ("database is locked" at once, whatever the busy timeout): those that will
    # write take the write lock first with BEGIN IMMEDIATE, and wait for it their turn.
    immediate = connection.get_execution_options().get(WRITES, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def build_engine(url: str) -> Engine:
    """Create the engine for a database URL, with the settings each backend needs."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise BadInput(f"invalid database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so a
        # transaction really starts when the session does.
        event.listen(engine, "begin", _sqlite_begin)
        engine.dialect._json_serializer = _compact_json
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True, json_serializer=_compact_json)
    raise BadInput(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")


def _compact_json(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine, *, writes: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. The edge owns this.
    `writes`: the transaction reads, then writes, while others may write (a background job):
    on SQLite it takes the write lock at its start."""
    with session_factory(engine)() as session:
        if writes:
            session.connection(execution_options={WRITES: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
