"""Alembic migrations run from code: upgrade to head, and a check that the schema is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from leadrank.errors import SchemaOutOfDate

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs against this engine, with no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str | None:
    """The newest migration shipped with this code."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> bool:
    """Bring the schema to head; returns True when anything was applied."""
    if current_revision(engine) == head_revision():
        return False
    command.upgrade(alembic_config(engine), "head")
    return True


def ensure_current(engine: Engine) -> None:
    """Fail fast when the database is behind (or ahead of) this code."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, this code needs {head}: "
            "run `leadrank init`"
        )
