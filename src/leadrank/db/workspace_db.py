"""Open the workspace database for a command: build the engine and migrate it to head."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from leadrank.config import Settings, get_settings
from leadrank.db.engine import build_engine, session_scope
from leadrank.db.migrate import upgrade


@contextmanager
def open_workspace(settings: Settings | None = None) -> Iterator[Engine]:
    """The workspace engine, its schema brought to head (commands need no separate init);
    its connections are closed when the command is done with it."""
    settings = settings or get_settings()
    engine = build_engine(settings.database_url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def workspace_session(
    settings: Settings | None = None, *, writes: bool = True
) -> Iterator[Session]:
    """One transaction on the workspace: committed on success, rolled back on error. A command
    that writes (the default) waits its turn for SQLite's write lock, as API writes and jobs
    do, instead of failing with "database is locked" when another command writes too."""
    with open_workspace(settings) as engine, session_scope(engine, writes=writes) as session:
        yield session
