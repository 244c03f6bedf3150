"""Migrations build exactly the schema the tables declare, on every backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from leadrank.db.engine import build_engine
from leadrank.db.migrate import current_revision, ensure_current, head_revision, upgrade
from leadrank.errors import SchemaOutOfDate
from leadrank.jobs.procrastinate_schema import not_procrastinates
from leadrank.orm import Base
from tests.conftest import Workspace


def test_migrated_schema_has_no_drift(workspace: Workspace) -> None:
    assert current_revision(workspace.engine) == head_revision()
    with workspace.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": not_procrastinates}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_from_empty_is_idempotent_and_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = build_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with pytest.raises(SchemaOutOfDate, match="leadrank init"):
        ensure_current(engine)
    assert upgrade(engine) is True
    assert upgrade(engine) is False
    ensure_current(engine)


def test_leads_stored_before_match_blocks_get_theirs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import text

    from leadrank.db.migrate import alembic_config

    engine = build_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO leads (first_name, last_name, country_code, issues, attributes,"
                " provenance, sources, created_at, updated_at) VALUES ('Bob', 'Smith', 'US',"
                " '[]', '{}', '{}', '[]', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    assert upgrade(engine) is True
    with engine.connect() as connection:
        block = connection.execute(text("SELECT match_block FROM leads")).scalar_one()
    assert block == "R163|S530@cc:US"  # Bob as Robert, either order, in the US
    engine.dispose()


def test_a_name_left_with_two_active_versions_keeps_the_newest(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import text

    from leadrank.db.migrate import alembic_config

    engine = build_engine(f"sqlite:///{tmp_path / 'raced.db'}")
    command.upgrade(alembic_config(engine), "0003")
    rows = [
        ("won", 1, "active", "2026-01-01 00:00:00"),
        ("won", 2, "active", "2026-01-02 00:00:00"),
        ("won", 3, "shadow", "2026-01-03 00:00:00"),
        ("churn", 1, "active", "2026-01-01 00:00:00"),
    ]
    with engine.begin() as connection:
        for name, version, stage, when in rows:
            connection.execute(
                text(
                    "INSERT INTO model_versions (name, version, stage, kind, algorithm, target,"
                    " metrics, data_hash, artifact, created_at, stage_changed_at) VALUES"
                    " (:name, :version, :stage, 'table', 'logistic', 't', '{}', '', x'', :when,"
                    " :when)"
                ),
                {"name": name, "version": version, "stage": stage, "when": when},
            )
    assert upgrade(engine) is True
    with engine.connect() as connection:
        active = connection.execute(
            text("SELECT name, version FROM model_versions WHERE stage = 'active' ORDER BY name")
        ).all()
    assert [tuple(row) for row in active] == [("churn", 1), ("won", 2)]
    engine.dispose()
