"""The registry's promise of one active version per name, kept by the database itself, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadrank.db.engine import session_scope
from leadrank.errors import Conflict
from leadrank.orm.scoring import ModelVersion
from leadrank.training import registry
from tests.conftest import Workspace


def _version(name: str, number: int, stage: str) -> ModelVersion:
    now = datetime.now(UTC)
    return ModelVersion(
        name=name,
        version=number,
        stage=stage,
        kind="table",
        algorithm="logistic",
        target="converted",
        metrics={},
        data_hash="",
        artifact=b"",
        created_at=now,
        stage_changed_at=now,
    )


def test_a_name_never_has_two_active_versions(workspace: Workspace) -> None:
    with session_scope(workspace.engine) as session:
        session.add_all([_version("won", 1, "active"), _version("won", 2, "shadow")])
        session.add_all([_version("churn", 1, "active")])  # another name may be active too
    with pytest.raises(IntegrityError), session_scope(workspace.engine) as session:
        session.add(_version("won", 3, "active"))

    # Promotion and rollback archive first, so the rule holds even going back to a lower id.
    with session_scope(workspace.engine) as session:
        registry.promote(session, reference="won:v2")
    with session_scope(workspace.engine) as session:
        restored, archived = registry.rollback(session, name="won")
        assert (restored.version, archived.version) == (1, 2)

    # Two promotions racing: the late one read v1 as active before the other switched to v2.
    with session_scope(workspace.engine) as session:
        session.add(_version("won", 3, "shadow"))
    with Session(workspace.engine, expire_on_commit=False) as late:
        stale_active, third = registry.find(late, "won:v1"), registry.find(late, "won:v3")
        late.commit()
        assert stale_active.stage == "active"
        with session_scope(workspace.engine) as session:
            registry.promote(session, reference="won:v2")
        # The switch itself, as the late promotion would run it after its stale read.
        with pytest.raises(Conflict, match="changed while this ran"):
            registry._switch(late, active=third, archived=stale_active, how="promote")
        late.rollback()
    with session_scope(workspace.engine) as session:
        active = session.scalars(
            select(ModelVersion.version).where(
                ModelVersion.name == "won", ModelVersion.stage == "active"
            )
        ).all()
        assert active == [2]
