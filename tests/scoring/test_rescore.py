"""Rescoring what changed: arrivals mark the leads they touch, one run scores those alone (a
burst of arrivals settles into one run), every other lead keeps its served score, and the
workspace is scored whole when the meaning of a score changed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.ingest.follow_up import after_ingest, rescore, rescore_changed
from leadrank.ingest.service import ingest_records
from leadrank.jobs.runner import JobRunner
from leadrank.leads.browse import LeadFilters, browse_leads
from leadrank.orm import Job, Lead
from leadrank.orm.scoring import AccountScore, LeadScore, ScoreRun
from leadrank.scoring.icp import load_profile
from leadrank.scoring.icp_store import save_profile, scoring_profile
from leadrank.scoring.pending import take_marked
from leadrank.scoring.repository import top_accounts
from leadrank.scoring.score_run import score_workspace
from tests.conftest import Workspace
from tests.server import Server

Served = dict[int, tuple[int, float, str]]  # lead -> (row id, score, grade)


@pytest.fixture
def settings(scored: Workspace, tmp_path: Path) -> Settings:
    """Arrivals rescore at once and are not enriched: only scoring follows them."""
    return Settings(
        database_url=scored.url, data_dir=tmp_path, auto_enrich=False, score_quiet_seconds=0
    )


def _served(workspace: Workspace) -> Served:
    with session_scope(workspace.engine) as session:
        rows = session.execute(
            select(LeadScore.lead_id, LeadScore.id, LeadScore.score, LeadScore.grade).where(
                LeadScore.latest
            )
        )
        return {lead: (row, score, grade) for lead, row, score, grade in rows}


def _emails(workspace: Workspace, count: int) -> dict[str, int]:
    """The emails of the `count` lowest-scored leads that have one, with their ids."""
    with session_scope(workspace.engine) as session:
        rows = session.execute(
            select(Lead.email, Lead.id)
            .join(LeadScore, (LeadScore.lead_id == Lead.id) & LeadScore.latest)
            .where(Lead.email.is_not(None))
            .order_by(LeadScore.score, Lead.id)
            .limit(count)
        )
        return {str(email): int(lead) for email, lead in rows.all()}


def _arrive(workspace: Workspace, settings: Settings, kind: str, records: list[dict]) -> None:
    """Records arriving as the API's batches take them: ingested, then followed up."""
    with session_scope(workspace.engine, writes=True) as session:
        report = ingest_records(session, records=records, source="test", kind=kind, name="t")
        after_ingest(session, settings, report, requested_by="test")


def _replies(emails: list[str]) -> list[dict[str, Any]]:
    moment = datetime.now(UTC).isoformat()
    return [{"email": e, "event_type": "email_replied", "occurred_at": moment} for e in emails]


def _runs(workspace: Workspace) -> list[ScoreRun]:
    with session_scope(workspace.engine) as session:
        return list(session.scalars(select(ScoreRun).order_by(ScoreRun.id)))


def _score_jobs(workspace: Workspace) -> list[Job]:
    with session_scope(workspace.engine) as session:
        return list(session.scalars(select(Job).where(Job.task == "score_leads")))


def test_new_events_rescore_their_leads_and_no_other(scored: Workspace, settings: Settings) -> None:
    before = _served(scored)
    touched = _emails(scored, 2)
    _arrive(scored, settings, "events", _replies(list(touched)))
    JobRunner(scored.engine, settings).run_until_idle()

    run = _runs(scored)[-1]
    assert (run.scope, run.leads) == ("changed", 2)
    after = _served(scored)
    assert after.keys() == before.keys()  # every lead still has its served score
    for lead, (row, score, grade) in before.items():
        if lead in touched.values():
            assert after[lead][0] != row  # a new row, from the new run
        else:
            assert after[lead] == (row, score, grade)  # the same row, score and grade
    with session_scope(scored.engine) as session:
        stored = session.scalar(select(func.count()).select_from(LeadScore))
        assert stored == len(before) + 2
        # What the list shows: every lead scored, the touched ones with their new scores.
        rows, _ = browse_leads(session, filters=LeadFilters(), limit=500)
        assert all(row.score is not None for row in rows) and len(rows) == len(before)
        shown = {row.lead.id: row.score for row in rows}
        assert all(shown[lead] == after[lead][1] for lead in touched.values())
        # Each touched lead got what a run over every lead gives it at that moment: its
        # standing is among the whole workspace, not among the two rescored.
        whole = score_workspace(session, as_of=run.as_of, profile=scoring_profile(session))
        again = session.execute(
            select(LeadScore.lead_id, LeadScore.score, LeadScore.grade).where(
                LeadScore.run_id == whole[0].run_id, LeadScore.lead_id.in_(touched.values())
            )
        )
        assert {lead: (s, g) for lead, s, g in again} == {
            lead: after[lead][1:] for lead in touched.values()
        }
        session.rollback()


def test_accounts_of_the_touched_leads_move_and_the_rest_stay(
    scored: Workspace, settings: Settings
) -> None:
    with session_scope(scored.engine) as session:
        latest = dict(
            session.execute(
                select(AccountScore.company_id, AccountScore.id).where(AccountScore.latest)
            ).all()
        )
    touched = _emails(scored, 1)
    with session_scope(scored.engine) as session:
        company = session.scalar(select(Lead.company_id).where(Lead.id.in_(touched.values())))
    assert company is not None, "the sample's lowest-scored lead with an email has a company"
    _arrive(scored, settings, "events", _replies(list(touched)))
    JobRunner(scored.engine, settings).run_until_idle()
    run = _runs(scored)[-1]
    with session_scope(scored.engine) as session:
        now = dict(
            session.execute(
                select(AccountScore.company_id, AccountScore.id).where(AccountScore.latest)
            ).all()
        )
        moved = session.get(AccountScore, now[company])
        listed = top_accounts(session, limit=10_000)
    assert now.keys() == latest.keys()
    assert moved is not None and moved.run_id == run.id
    assert {c: i for c, i in now.items() if c != company} == {
        c: i for c, i in latest.items() if c != company
    }
    assert len(listed) == len({account.company_id for account, _ in listed}) == len(latest)


def test_a_company_a_lead_left_gets_its_account_again_or_loses_it(
    scored: Workspace, settings: Settings
) -> None:
    # Enrichment or a merge moves a lead to another company: the changed run stores that
    # lead, its new company, and the company it left, which must not go on counting it.
    with session_scope(scored.engine) as session:
        latest = {
            account.company_id: account
            for account in session.scalars(select(AccountScore).where(AccountScore.latest))
        }
        alone, crowded = (
            session.scalars(
                select(Lead.company_id)
                .where(Lead.company_id.in_(list(latest)))
                .group_by(Lead.company_id)
                .having(func.count() == size)
                .order_by(Lead.company_id)
                .limit(1)
            ).one()
            for size in (1, 2)
        )
        best = latest[crowded].best_lead_id
        leaving = [
            session.scalars(select(Lead.id).where(Lead.company_id == alone)).one(),
            best,
        ]
        target = next(c for c in latest if c not in (alone, crowded))
        session.execute(update(Lead).where(Lead.id.in_(leaving)).values(company_id=target))
        rescore_changed(session, lead_ids=leaving, requested_by="test")
    JobRunner(scored.engine, settings).run_until_idle()
    run = _runs(scored)[-1]
    assert run.scope == "changed"
    with session_scope(scored.engine) as session:
        now = {
            account.company_id: account
            for account in session.scalars(select(AccountScore).where(AccountScore.latest))
        }
    assert alone not in now  # no lead left to roll up: no account served
    assert now[crowded].run_id == run.id and now[crowded].leads == 1
    assert now[crowded].best_lead_id != best
    assert now[target].run_id == run.id and now[target].leads == latest[target].leads + 2
    unmoved = set(latest) - {alone, crowded, target}
    assert all(now[c].id == latest[c].id for c in unmoved if now[c].grade == latest[c].grade)


def test_a_lead_never_scored_is_scored_by_the_next_rescore(
    scored: Workspace, settings: Settings
) -> None:
    quiet = settings.model_copy(update={"auto_score": False})
    _arrive(scored, quiet, "leads", [{"email": "new.person@example.org", "name": "New Person"}])
    assert _score_jobs(scored) == []  # nothing queued while scoring is off
    touched = _emails(scored, 1)
    _arrive(scored, settings, "events", _replies(list(touched)))
    JobRunner(scored.engine, settings).run_until_idle()
    with session_scope(scored.engine) as session:
        newcomer = session.scalar(select(Lead.id).where(Lead.email == "new.person@example.org"))
    assert newcomer in _served(scored)
    assert _runs(scored)[-1].leads == 2


def test_a_changed_profile_scores_the_workspace_whole(
    scored: Workspace, settings: Settings
) -> None:
    document = load_profile(None).model_dump(mode="json", exclude_none=True)
    with session_scope(scored.engine) as session:
        save_profile(session, document={**document, "name": "mine"}, activate=True)
    _arrive(scored, settings, "events", _replies(list(_emails(scored, 1))))
    JobRunner(scored.engine, settings).run_until_idle()
    [job] = _score_jobs(scored)
    assert job.result is not None and job.result["scope"] == "all"
    assert "profile" in job.result["whole_because"]
    run = _runs(scored)[-1]
    served = _served(scored)
    assert run.scope == "all" and run.leads == len(served)
    with session_scope(scored.engine) as session:
        from_run = set(session.scalars(select(LeadScore.id).where(LeadScore.run_id == run.id)))
    assert {row for row, _, _ in served.values()} == from_run


def test_a_burst_of_api_writes_is_scored_in_one_run(scored: Workspace, start_server: Any) -> None:
    server: Server = start_server(auto_enrich=False, score_quiet_seconds=2.0)
    runs_before = len(_runs(scored))
    emails = list(_emails(scored, 5))
    for email in emails:  # one write at a time, each well within the quiet period
        answer = server.client.post(
            "/api/v1/events/batch", json={"source": "web", "events": _replies([email])}
        )
        assert answer.status_code == 200 and answer.json()["events_created"] == 1
        time.sleep(0.2)
    _wait_for_jobs(scored, seconds=60)
    runs = _runs(scored)[runs_before:]
    assert [(run.scope, run.leads) for run in runs] == [("changed", 5)]
    results = [job.result for job in _score_jobs(scored)]
    assert all(result is not None and result["scope"] == "changed" for result in results)
    assert sum(len(result["runs"]) for result in results if result) == 1

    lead = _served(scored)
    detail = server.client.get(f"/api/v1/leads/{emails[0]}").json()
    assert detail["scores_total"] == 2 and len(detail["scores"]) == 2
    assert detail["score"] == lead[detail["id"]][1] == detail["scores"][0]["score"]


def _wait_for_jobs(workspace: Workspace, *, seconds: float) -> None:
    """Until no job is queued or running."""
    deadline = time.monotonic() + seconds
    query = select(func.count()).select_from(Job).where(Job.status.in_(("queued", "running")))
    while True:
        with session_scope(workspace.engine) as session:
            if not session.scalar(query):
                return
        assert time.monotonic() < deadline, "the follow-up jobs did not finish"
        time.sleep(0.1)


def test_arrivals_join_the_waiting_rescore_with_their_leads(scored: Workspace) -> None:
    with session_scope(scored.engine) as session:
        first = rescore_changed(session, lead_ids=[1, 2])
    with session_scope(scored.engine) as session:
        assert rescore_changed(session, lead_ids=[2, 3]).id == first.id
        waiting = session.get(Job, first.id)
        assert waiting is not None
        waiting.status = "running"  # taken: it may have read the marks before these
    with session_scope(scored.engine) as session:
        second = rescore_changed(session, lead_ids=[4])
        assert second.id != first.id and second.arguments == {"changed": True}
    with session_scope(scored.engine) as session:
        assert take_marked(session) == [1, 2, 3, 4]
        session.rollback()
    with session_scope(scored.engine) as session:
        session.execute(update(Job).values(status="succeeded"))
        whole = rescore(session)  # a whole rescore still waiting covers the changed leads
        assert rescore_changed(session, lead_ids=[5]).id == whole.id
