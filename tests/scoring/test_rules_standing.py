"""With no model, a lead's score is its standing among the workspace's leads on the blend of
fit and engagement, so every grade is reachable and an A is a top lead of this workspace."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from leadrank.db.engine import session_scope
from leadrank.grades import Blend
from leadrank.scoring.score_run import rules_standing, score_workspace
from tests.conftest import Workspace, ingest_sample


def _rules(fit: list[float], engagement: list[float], disqualified: list[bool]) -> pl.DataFrame:
    return pl.DataFrame(
        {"fit_score": fit, "engagement_score": engagement, "disqualified": disqualified}
    )


def test_standing_ranks_the_blend_and_leaves_the_ruled_out_at_zero() -> None:
    rules = _rules(
        fit=[100.0, 40.0, 60.0, 0.0, 90.0],
        engagement=[0.0, 90.0, 10.0, 0.0, 0.0],
        disqualified=[False, False, False, True, False],
    )
    even = rules_standing(rules, Blend(fit=0.5, engagement=0.5)).to_list()
    assert even[3] == 0.0, "a lead the hard filters rule out is not ranked"
    # blends: 50, 65, 35, -, 45 -> the engaged lead first, then the perfect fit
    assert even[1] > even[0] > even[4] > even[2] > 0
    assert max(even) > 85.0
    on_fit = rules_standing(rules, Blend(fit=1.0, engagement=0.0)).to_list()
    assert on_fit[0] == max(on_fit), "a perfect fit with no events tops a fit-only blend"
    assert on_fit[0] >= 85.0


def test_rules_only_scores_use_every_grade(workspace: Workspace, tmp_path: Path) -> None:
    ingest_sample(workspace, tmp_path / "sample", leads=400, seed=3)
    with session_scope(workspace.engine) as session:
        (run,) = score_workspace(session)
    assert run.model_version == "rules"
    assert set(run.grades) == set("ABCDE"), run.grades
    share_a = run.grades["A"] / run.leads
    assert 0.04 <= share_a <= 0.15, f"an A is a top lead of the workspace, not {share_a:.0%}"
    with session_scope(workspace.engine) as session:
        fit_only = score_workspace(session, blend=Blend(fit=1.0, engagement=0.0))[0]
    assert set(fit_only.grades) >= {"A", "E"}


def test_the_profile_engagement_scores_custom_event_types(workspace: Workspace) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from leadrank.ingest.service import ingest_records
    from leadrank.orm import Lead
    from leadrank.orm.scoring import LeadScore
    from leadrank.scoring.icp import load_profile, parse_profile

    people = [{"email": f"p{i}@acme-{i}.com", "first_name": f"P{i}"} for i in range(3)]
    when = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    events = [{"email": "p0@acme-0.com", "event_type": "Demo Request", "occurred_at": when}]
    with session_scope(workspace.engine) as session:
        ingest_records(session, records=people, source="crm", kind="leads", name="people")
    with session_scope(workspace.engine) as session:
        ingest_records(session, records=events, source="web", kind="events", name="events")

    def engagement_of_p0(profile: object) -> float:
        with session_scope(workspace.engine) as session:
            (run,) = score_workspace(session, profile=profile)  # type: ignore[arg-type]
            lead = session.scalar(select(Lead.id).where(Lead.email == "p0@acme-0.com"))
            stored = session.scalar(
                select(LeadScore.engagement).where(
                    LeadScore.run_id == run.run_id, LeadScore.lead_id == lead
                )
            )
        return float(stored or 0.0)

    default = load_profile(None)
    assert engagement_of_p0(default) == 0.0, "a custom type earns nothing by default"
    document = default.model_dump()
    document["engagement"] = {"points": {"demo_request": 40}}
    assert engagement_of_p0(parse_profile(document, source="test")) > 50.0
