"""Migration 0013 on a workspace scored before it: each lead's and company's newest served
score is marked latest (not a shadow's, not an unfinished run's), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from leadrank.db.engine import build_engine
from leadrank.db.migrate import alembic_config, upgrade
from leadrank.db.scratch import scratch_postgres
from tests.conftest import POSTGRES_URL

# (id, stage, finished): the rules, then the active model, a shadow, and a run that never ended.
RUNS = [(1, "rules", True), (2, "active", True), (3, "shadow", True), (4, "active", False)]
# (id, run, lead): lead 7 is in every run, lead 8 in the first only.
SCORES = [(10, 1, 7), (11, 1, 8), (12, 2, 7), (13, 3, 7), (14, 4, 7)]


@pytest.fixture(params=["sqlite", "postgresql"])
def old_workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A workspace at revision 0012 holding score runs, lead scores and account scores."""
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL tests need LEADRANK_TEST_POSTGRES_URL (CI sets it)")
        with scratch_postgres(POSTGRES_URL, prefix="leadrank_test_0013") as url:
            engine = build_engine(url)
            command.downgrade(alembic_config(engine), "0012")
            yield _scored(engine)
            engine.dispose()
        return
    engine = build_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0012")
    yield _scored(engine)
    engine.dispose()


def _scored(engine: Engine) -> Engine:
    moment = "2026-01-01 00:00:00+00:00"
    with engine.begin() as connection:
        for run, stage, finished in RUNS:
            connection.execute(
                text(
                    "INSERT INTO score_runs (id, model_version, stage, as_of, started_at,"
                    " finished_at, leads) VALUES (:id, 'm', :stage, :at, :at, :end, 1)"
                ),
                {"id": run, "stage": stage, "at": moment, "end": moment if finished else None},
            )
        for row, run, lead in SCORES:
            values = {"id": row, "run": run, "lead": lead}
            connection.execute(
                text(
                    "INSERT INTO lead_scores (id, run_id, lead_id, score, grade, reasons,"
                    " features) VALUES (:id, :run, :lead, 50, 'C', '{}', '{}')"
                ),
                values,
            )
            connection.execute(
                text(
                    "INSERT INTO account_scores (id, run_id, company_id, score, grade, leads,"
                    " best_lead_id, reasons) VALUES (:id, :run, :lead, 50, 'C', 1, :lead, '{}')"
                ),
                values,
            )
    return engine


def test_the_newest_served_score_of_each_lead_is_marked_latest(old_workspace: Engine) -> None:
    assert upgrade(old_workspace) is True
    with old_workspace.connect() as connection:
        for table in ("lead_scores", "account_scores"):
            marked = connection.execute(text(f"SELECT id FROM {table} WHERE latest ORDER BY id"))
            assert [row for (row,) in marked] == [11, 12], table
        runs = connection.execute(text("SELECT DISTINCT scope FROM score_runs")).all()
        assert [tuple(row) for row in runs] == [("all",)]
