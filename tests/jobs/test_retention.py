"""The retention purge on score history: old scores and scores beyond the newest few of a lead
go, each lead's (and company's) latest score stays whatever its age, and emptied runs go."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.jobs.defer import defer
from leadrank.jobs.retention import purge
from leadrank.jobs.runner import JobRunner
from leadrank.orm import Job, Lead
from leadrank.orm.scoring import AccountScore, LeadScore, ScoreRun
from leadrank.scoring.score_run import score_workspace
from tests.conftest import CliResult, Workspace, ingest_sample

NOW = datetime.now(UTC)


class History:
    """A sampled workspace scored whole 200 days ago, then lead `x` and `y` 100 days ago,
    then `x` alone 10 days ago and on each of the last four days."""

    def __init__(self, workspace: Workspace, folder: Path) -> None:
        ingest_sample(workspace, folder, leads=120, seed=3)
        with session_scope(workspace.engine) as session:
            # Two leads of two different companies.
            rows = session.execute(
                select(Lead.id, Lead.company_id).where(Lead.company_id.is_not(None))
            ).all()
            self.x, x_company = rows[0]
            self.y = next(lead for lead, company in rows if company != x_company)
            self.runs = [self._run(session, 200, None), self._run(session, 100, [self.x, self.y])]
            for days in (10, 5, 4, 3, 2):
                self.runs.append(self._run(session, days, [self.x]))

    @staticmethod
    def _run(session: Session, days_ago: int, leads: list[int] | None) -> int:
        (run,) = score_workspace(session, as_of=NOW - timedelta(days=days_ago), lead_ids=leads)
        return run.run_id


def _latest(workspace: Workspace, model: type[LeadScore] | type[AccountScore]) -> set[int]:
    with session_scope(workspace.engine) as session:
        return set(session.scalars(select(model.id).where(model.latest)))


def _rows_of(workspace: Workspace, lead: int) -> list[int]:
    with session_scope(workspace.engine) as session:
        query = select(LeadScore.run_id).where(LeadScore.lead_id == lead)
        return list(session.scalars(query.order_by(LeadScore.id)))


@pytest.fixture
def history(workspace: Workspace, tmp_path: Path) -> History:
    return History(workspace, tmp_path / "sample")


def test_the_purge_keeps_every_latest_score_and_the_newest_few(
    workspace: Workspace, history: History
) -> None:
    latest_leads, latest_accounts = _latest(workspace, LeadScore), _latest(workspace, AccountScore)
    with session_scope(workspace.engine) as session:
        leads = session.scalar(select(func.count()).select_from(Lead))
    assert len(latest_leads) == leads
    whole, both, _ten_days_ago, *recent = history.runs

    with session_scope(workspace.engine) as session:
        purged = purge(session, days=90, score_days=90, scores_per_lead=3, now=NOW)
    # x: the two old rows and the two beyond its newest three; y: its old row.
    assert purged.lead_scores == 5 and purged.score_runs == 2
    assert _rows_of(workspace, history.x) == recent[1:]
    assert _rows_of(workspace, history.y) == [both]
    assert _latest(workspace, LeadScore) == latest_leads  # 200 days old for most: still there
    assert _latest(workspace, AccountScore) == latest_accounts
    with session_scope(workspace.engine) as session:
        runs = list(session.scalars(select(ScoreRun.id).order_by(ScoreRun.id)))
        per_company = session.execute(
            select(AccountScore.company_id, func.count()).group_by(AccountScore.company_id)
        ).all()
    assert runs == [whole, both, *recent[1:]]  # the runs left with no score went
    assert max(count for _, count in per_company) <= 3

    with session_scope(workspace.engine) as session:
        again = purge(session, days=90, score_days=90, scores_per_lead=3, now=NOW)
    assert (again.lead_scores, again.account_scores, again.score_runs) == (0, 0, 0)


def test_the_retention_job_and_command_purge_as_configured(
    workspace: Workspace,
    history: History,
    tmp_path: Path,
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 30 days, and the newest 100 scores of a lead: x's and y's old scores go.
    settings = Settings(database_url=workspace.url, data_dir=tmp_path, score_history_days=30)
    with session_scope(workspace.engine) as session:
        job_id = defer(session, task="purge_old_records", arguments={}).id
    JobRunner(workspace.engine, settings).run_until_idle()
    with session_scope(workspace.engine) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.result is not None
        assert (job.result["lead_scores"], job.result["score_runs"]) == (3, 0)
    assert _rows_of(workspace, history.x) == history.runs[2:]

    monkeypatch.setenv("LEADRANK_SCORE_HISTORY_PER_LEAD", "2")  # and 90 days, by default
    purged = cli("jobs", "purge")
    assert purged.exit_code == 0, purged.stderr
    assert "purged 3 lead scores" in purged.stdout and "and 3 emptied score runs" in purged.stdout
    assert _rows_of(workspace, history.x) == history.runs[-2:]
