"""A throwaway PostgreSQL database on a server: made, migrated and dropped, for test runs and
benchmarks that must not see one another's rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from leadrank.db.engine import build_engine
from leadrank.db.migrate import upgrade


@contextmanager
def scratch_postgres(server_url: str, *, prefix: str = "leadrank_scratch") -> Iterator[str]:
    """The URL of a new, migrated database on the server of `server_url`, dropped at the end."""
    server = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        engine = build_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
