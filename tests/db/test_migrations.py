"""Migrations build exactly the schema the tables declare, on every backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from leadrank.db.engine import build_engine
from leadrank.db.migrate import current_revision, ensure_current, head_revision, upgrade
from leadrank.errors import SchemaOutOfDate
from leadrank.orm import Base
from tests.conftest import Workspace


def test_migrated_schema_has_no_drift(workspace: Workspace) -> None:
    assert current_revision(workspace.engine) == head_revision()
    with workspace.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_from_empty_is_idempotent_and_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = build_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with pytest.raises(SchemaOutOfDate, match="leadrank init"):
        ensure_current(engine)
    assert upgrade(engine) is True
    assert upgrade(engine) is False
    ensure_current(engine)
