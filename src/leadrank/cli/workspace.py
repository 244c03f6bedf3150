"""Open the workspace database for a command: build the engine and migrate it to head."""

from __future__ import annotations

from sqlalchemy import Engine

from leadrank.config import Settings, get_settings
from leadrank.db.engine import build_engine
from leadrank.db.migrate import upgrade


def open_workspace(settings: Settings | None = None) -> Engine:
    """The workspace engine, its schema brought to head (commands need no separate init)."""
    settings = settings or get_settings()
    engine = build_engine(settings.database_url)
    upgrade(engine)
    return engine
