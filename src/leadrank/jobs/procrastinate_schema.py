"""procrastinate's tables and functions in a leadrank PostgreSQL database.

They come with leadrank's own migrations (0009), so `leadrank migrate` (or any command that
opens the workspace) readies a database for workers with nothing else to run. The schema is
the one of the procrastinate release pinned in pyproject.toml; a later release's upgrade
scripts (procrastinate/sql/migrations) come in a later leadrank migration of their own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

_DROP = """
DO $$
DECLARE item record;
BEGIN
    FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'
    LOOP
        EXECUTE 'DROP FUNCTION IF EXISTS ' || item.signature || ' CASCADE';
    END LOOP;
END $$;
DROP TABLE IF EXISTS procrastinate_periodic_defers, procrastinate_events, procrastinate_jobs,
    procrastinate_workers CASCADE;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
"""


def not_procrastinates(name: str | None, type_: str, _parents: Any) -> bool:
    """Alembic's `include_name`: procrastinate's tables are its own, not the ORM's to compare."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def has_schema(connection: Connection) -> bool:
    """Whether procrastinate's job table is in this database's current schema."""
    found = connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    return found is not None


def apply_schema(connection: Connection) -> None:
    """Create procrastinate's schema, unless it is there already."""
    from procrastinate.schema import SchemaManager

    if has_schema(connection):
        return
    _driver(connection).execute(SchemaManager.get_schema())


def drop_schema(connection: Connection) -> None:
    """Remove procrastinate's tables, types and functions."""
    _driver(connection).execute(_DROP)


def _driver(connection: Connection) -> Any:
    # psycopg runs a text of several statements only when it has no parameters, and only
    # on its own connection: SQLAlchemy would send it as one parameterised statement.
    return connection.connection.driver_connection
