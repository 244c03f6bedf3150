"""Alembic environment: runs on the engine handed over by leadrank.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from leadrank.jobs.procrastinate_schema import not_procrastinates
from leadrank.orm import Base

config = context.config
engine: Engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
        include_name=not_procrastinates,
    )
    context.run_migrations()
