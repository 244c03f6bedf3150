"""Learning from the workspace's outcomes and scoring stored leads, on a real sample workspace
ingested into SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from leadrank.db.engine import session_scope
from leadrank.errors import BadInput, Conflict
from leadrank.features.contact import CONTACT_MARK, looks_like_contact
from leadrank.features.lead_features import (
    attribute_keys,
    contact_keys,
    workspace_features,
)
from leadrank.leads.repository import current_overrides, overrides_of_lead, scores_of_lead
from leadrank.orm import Lead
from leadrank.orm.scoring import AccountScore, LeadScore, ScoreRun
from leadrank.scoring.repository import latest_run, top_accounts, top_scores
from leadrank.scoring.score_run import score_workspace
from leadrank.training import registry
from leadrank.training.fit import TrainOptions
from leadrank.training.outcomes import observation_ages, parse_label, train_workspace
from leadrank.training.table import train_table
from tests.conftest import FIXTURES, CliResult, Workspace, ingest_sample

LABEL = "meeting_booked or deal_won within 120d"
FAST = TrainOptions(time_budget=0.0, folds=3)


@pytest.fixture
def sampled(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace holding a 1,500-person sample: leads from several vendors and their events."""
    ingest_sample(workspace, tmp_path / "sample", leads=1_500, seed=11)
    return workspace


def test_labels_are_read_from_plain_words() -> None:
    won = parse_label("deal_won within 90d")
    assert won.positive_events == ["deal_won"] and won.within_days == 90
    assert won.anchor == "created"
    wider = parse_label("meeting_booked or deal_won within 120 days of creation")
    assert wider.positive_events == ["meeting_booked", "deal_won"]
    reply = parse_label("email_replied within 14d of the first email_sent")
    assert reply.anchor == "first_touch" and reply.touch_events == ["email_sent"]
    with pytest.raises(BadInput, match="within N days"):
        parse_label("deals that closed")


def test_train_score_shadow_promote_and_rollback(sampled: Workspace, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with session_scope(sampled.engine) as session:
        with pytest.raises(BadInput, match="no event of type demo_booked"):
            train_workspace(session, label="demo_booked within 30d", data_dir=data)
        first = train_workspace(session, label=LABEL, data_dir=data, name="meetings", options=FAST)
        assert first.model.stage == "active" and first.model.kind == "workspace"
        assert first.mature + first.immature + first.early == first.leads
        # Leads are looked at several ages, so the model learns how chances change with age.
        assert "age_days" in first.result.bundle.feature_names
        behaviour = first.result.bundle.metadata["behaviour"]
        assert behaviour["observation_days"] == [14.0, 28.0, 56.0]
        assert behaviour["max_age_days"] == 56.0
        assert first.snapshots > first.mature  # most leads are still open at several ages
        assert first.positives > 10
        assert first.result.evaluation.roc_auc is not None
        assert first.result.evaluation.roc_auc > 0.6
        assert first.report.exists() and "<svg" in first.report.read_text()
        # The label's own events never become features.
        assert not any(
            "meeting_booked" in f or "deal_won" in f for f in first.result.bundle.feature_names
        )
        assert (data / "models" / "meetings" / "v1" / "metadata.json").exists()
        # The period it learnt from: the creation of its leads, outcomes known up to now.
        window = first.result.bundle.metadata["data_window"]
        assert window["column"] == "lead creation"
        assert window["start"] < window["end"] < window["as_of"]
        # A table model cannot join the workspace model's name (it would be scored on leads).
        with pytest.raises(Conflict, match="another --name"):
            train_table(
                session,
                path=FIXTURES / "x_education_200.csv",
                target="Converted",
                data_dir=data,
                name="meetings",
                options=FAST,
            )

    with session_scope(sampled.engine) as session:
        runs = score_workspace(session)
        assert [r.stage for r in runs] == ["active"]
        assert runs[0].leads == session.scalar(select(func.count()).select_from(LeadScore))
        # Contact details in custom fields are learnt from as "filled", never as values.
        stored = session.scalars(select(LeadScore.features)).all()
        cited = pl.Series([str(v) for f in stored for v in (f or {}).values()], dtype=pl.String)
        assert cited.len() and not looks_like_contact(cited).any()
        best = top_scores(session, latest_run(session, stage="active"), limit=5)  # type: ignore[arg-type]
        score, lead = best[0]
        assert score.grade in "ABCDE" and 0 <= score.score <= 100
        assert 0 <= (score.probability or 0) <= 1 and score.confidence is not None
        assert score.reasons["positive"], "the best lead has reasons for its score"
        # The score ranks the workspace's leads, so an A is a top-10% lead.
        grades = runs[0].grades
        assert 0.07 <= grades.get("A", 0) / runs[0].leads <= 0.13
        assert all(r.endswith(")") and "(+" in r for r in score.reasons["positive"])
        # Every score says why, an A or B twice over, and never by what is not known.
        run_id = runs[0].run_id
        every = session.execute(
            select(LeadScore.grade, LeadScore.reasons).where(LeadScore.run_id == run_id)
        ).all()
        told = [(grade, r["positive"] + r["negative"], r) for grade, r in every]
        assert all(said for _, said, _ in told), "every lead has a reason"
        assert all(len(said) >= 2 for grade, said, _ in told if grade in "AB")
        assert not any("missing" in x for _, _, r in told for x in r["positive"])
        assert all({"fit", "engagement"} <= set(r) for _, _, r in told), "kept beside the model's"
        # The values the reasons cite are stored with the score, never recomputed.
        assert score.features and all(
            any(
                r.startswith(f"{label} is {value} (")
                for r in score.reasons["positive"] + score.reasons["negative"]
            )
            for label, value in score.features.items()
        )

    with session_scope(sampled.engine) as session:
        second = train_workspace(session, label=LABEL, data_dir=data, name="meetings", options=FAST)
        assert second.model.stage == "shadow"
        runs = score_workspace(session)
        assert [(r.model_version, r.stage) for r in runs] == [
            ("meetings:v1", "active"),
            ("meetings:v2", "shadow"),
        ]
        assert runs[0].leads == runs[1].leads
        chosen, replaced = registry.promote(session, reference="meetings")
        assert (chosen.version, replaced and replaced.stage) == (2, "archived")
        with pytest.raises(Conflict, match="already active"):
            registry.promote(session, reference="meetings:v2")
        restored, archived = registry.rollback(session, name="meetings")
        assert (restored.version, archived.version) == (1, 2)
        assert registry.active_model(session).version == 1  # type: ignore[union-attr]
        history, total = scores_of_lead(session, lead.id, limit=20)
        # The first run, then the active run; the shadow's score is stored, not served.
        assert [run.stage for _, run in history] == ["active", "active"] and total == 2


def test_without_a_model_the_rules_score_alone(sampled: Workspace) -> None:
    with session_scope(sampled.engine) as session:
        runs = score_workspace(session)
        assert [(r.model_version, r.stage) for r in runs] == [("rules", "rules")]
        run = session.get(ScoreRun, runs[0].run_id)
        assert run is not None and run.model_id is None
        best, _ = top_scores(session, run, limit=1)[0]
        assert best.probability is None
        assert best.fit is not None and best.engagement is not None
        assert any("(+" in r for r in best.reasons["positive"])


def test_features_never_see_events_after_their_time() -> None:
    leads = pl.DataFrame({"lead_id": [1, 2], "seniority": ["vp", "ic"], "phone_e164": ["+1", None]})
    start = datetime(2026, 5, 1, tzinfo=UTC)
    events = pl.DataFrame(
        {
            "lead_id": [1, 1, 2],
            "event_type": ["email_replied", "email_replied", "page_view"],
            "occurred_at": [start - timedelta(days=3), start + timedelta(days=3), start],
        }
    ).with_columns(pl.col("occurred_at").dt.cast_time_unit("us"))
    kinds = ["email_replied", "page_view"]
    at_start = workspace_features(leads, events, as_of=start, event_types=kinds)
    later = workspace_features(leads, events, as_of=start + timedelta(days=10), event_types=kinds)
    assert at_start["ev_email_replied_count"].to_list() == [1.0, 0.0]
    assert at_start["ev_page_view_count"].to_list() == [0.0, 0.0]  # an event at as_of is not seen
    assert later["ev_email_replied_count"].to_list() == [2.0, 0.0]
    # Training and scoring build the same columns from the same function.
    assert at_start.columns == later.columns
    assert "has_phone" in at_start.columns and "phone_e164" not in at_start.columns
    assert "age_days" not in at_start.columns


def test_age_is_taken_at_each_leads_own_time_and_capped() -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    leads = pl.DataFrame(
        {"lead_id": [1, 2, 3], "created_at": [start, start - timedelta(days=20), start]}
    ).with_columns(pl.col("created_at").dt.cast_time_unit("us"))
    events = pl.DataFrame(
        {"lead_id": [1], "event_type": ["page_view"], "occurred_at": [start]}
    ).with_columns(pl.col("occurred_at").dt.cast_time_unit("us"))
    as_of = pl.DataFrame(
        {
            "lead_id": [3, 1, 2, 1],
            "as_of": [
                start + timedelta(days=90),
                start + timedelta(days=14),
                start,
                start,
            ],
        }
    ).with_columns(pl.col("as_of").dt.cast_time_unit("us").dt.replace_time_zone("UTC"))
    frame = workspace_features(
        leads, events, as_of=as_of, event_types=["page_view"], max_age_days=56.0
    )
    # One row per look, in the looks' order; a lead seen twice is counted as of each time.
    assert frame["lead_id"].to_list() == [3, 1, 2, 1]
    assert frame["age_days"].to_list() == [56.0, 14.0, 20.0, 0.0]
    assert frame["ev_page_view_count_7d"].to_list() == [0.0, 0.0, 0.0, 0.0]
    assert frame["ev_page_view_count_30d"].to_list() == [0.0, 1.0, 0.0, 0.0]


def test_contact_details_in_custom_fields_become_flags() -> None:
    attributes = [
        {"Corporate Phone": "+1 646-337-9106", "Plan": "pro", "Budget": "2500000"},
        {"Corporate Phone": "(555) 123-4567", "Plan": "free", "Budget": "40000"},
        {"Plan": "pro", "Profile": "https://linkedin.com/in/ann", "Budget": "2026"},
        {"Plan": "call Bo <bo@acme.io>", "Budget": "75000"},
    ]
    leads = pl.DataFrame(
        {
            "lead_id": [1, 2, 3, 4],
            "created_at": [datetime(2026, 5, 1, tzinfo=UTC)] * 4,
            "attributes": [json.dumps(a) for a in attributes],
        }
    )
    keys = attribute_keys(leads)
    contact = contact_keys(leads, keys)
    assert sorted(contact) == ["Corporate Phone", "Profile"]
    events = pl.DataFrame(
        {"lead_id": [1], "event_type": ["page_view"], "occurred_at": [datetime(2026, 5, 2)]}
    ).with_columns(pl.col("occurred_at").dt.cast_time_unit("us"))
    frame = workspace_features(
        leads,
        events,
        as_of=datetime(2026, 6, 1, tzinfo=UTC),
        event_types=["page_view"],
        attributes=keys,
        contact=contact,
    )
    assert frame["attr: Corporate Phone"].to_list() == [True, True, False, False]
    assert frame["attr: Profile"].to_list() == [False, False, True, False]
    # A stray address in any other field is masked, cell by cell.
    assert frame["attr: Plan"].to_list() == ["pro", "free", "pro", CONTACT_MARK]
    assert frame["attr: Budget"].to_list() == ["2500000", "40000", "2026", "75000"]


def test_observation_ages_double_within_the_label_window() -> None:
    assert observation_ages(120) == [14.0, 28.0, 56.0]
    assert observation_ages(365) == [14.0, 28.0, 56.0, 112.0, 224.0]
    assert observation_ages(14) == [7.0]
    assert observation_ages(30) == [14.0]


def test_cli_train_label_and_score(
    sampled: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    trained = cli("train", "--label", LABEL, "--time-budget", "0")
    assert trained.exit_code == 0, trained.stderr
    assert "mature leads" in trained.stdout and "ROC-AUC" in trained.stdout
    scored = cli("score")
    assert scored.exit_code == 0, scored.stderr
    assert "leads scored by meeting-booked:v1 (active)" in scored.stdout
    with session_scope(sampled.engine) as session:
        run = latest_run(session, stage="active")
        assert run is not None
        best, lead = top_scores(session, run, limit=1)[0]
    shown = cli("leads", "show", str(lead.id))
    assert f"score {best.score:.1f} grade {best.grade}" in shown.stdout
    assert best.reasons["positive"][0] in shown.stdout
    missing = cli("train")
    assert missing.exit_code == 1 and "--label" in missing.stderr
    # The rules alone, by choice: the score is the fit, graded on the thresholds given.
    by_fit = cli("score", "--blend", "model=0,fit=1,engagement=0", "--grades", "80,60,40,20")
    assert by_fit.exit_code == 0, by_fit.stderr
    with session_scope(sampled.engine) as session:
        rows = session.scalars(
            select(LeadScore).where(LeadScore.run_id == latest_run(session, stage="active").id)  # type: ignore[union-attr]
        ).all()
        assert all(r.score == pytest.approx(r.fit, abs=0.05) for r in rows if r.score > 0)
        assert {r.grade for r in rows if r.score >= 80} <= {"A"}
        assert {r.grade for r in rows if 60 <= r.score < 80} <= {"B"}
    wrong = cli("score", "--blend", "model=0.5,icp=1")
    assert wrong.exit_code == 1 and "e.g. model=0.7" in wrong.stderr
    snapshots = list((tmp_path / "data" / "lake" / "scores").rglob("run-*.parquet"))
    assert len(snapshots) == 2  # one per scoring run
    lake = pl.read_parquet(snapshots[0])
    assert {"lead_id", "run_id", "model_version", "ev_all_count_30d"} <= set(lake.columns)
    for column in lake.select(pl.col(pl.String)).columns:
        assert not looks_like_contact(lake[column]).any(), column
    stored = json.loads(
        (tmp_path / "data" / "models" / "meeting-booked" / "v1" / "metadata.json").read_text()
    )
    assert stored["behaviour"]["event_types"] and stored["libraries"]["lightgbm"]


def test_cli_score_with_a_profile_of_ones_own(
    sampled: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    profile = tmp_path / "icp.yaml"
    profile.write_text(
        "name: vp-only\n"
        "rules:\n"
        "  - {field: seniority, op: eq, value: vp, points: 10}\n"
        "filters:\n"
        "  - {field: seniority, op: eq, value: vp, reason: 'Seniority must be VP'}\n"
    )
    scored = cli("score", "--profile", str(profile))
    assert scored.exit_code == 0, scored.stderr
    with session_scope(sampled.engine) as session:
        run = latest_run(session, stage="rules")
        assert run is not None
        rows = session.execute(
            select(LeadScore.score, LeadScore.fit).where(LeadScore.run_id == run.id)
        ).all()
    # Everyone but VPs is disqualified: fit 0 and score 0; VPs have the full fit.
    assert {fit for _, fit in rows} == {0.0, 100.0}
    assert all(score == 0.0 for score, fit in rows if fit == 0.0)


def test_grade_overrides_stick_and_accounts_roll_up(
    sampled: Workspace, cli: Callable[..., CliResult]
) -> None:
    scored = cli("score")
    assert scored.exit_code == 0, scored.stderr
    with session_scope(sampled.engine) as session:
        run = latest_run(session, stage="rules")
        assert run is not None
        accounts = session.scalars(select(AccountScore).where(AccountScore.run_id == run.id)).all()
        with_company = session.scalar(
            select(func.count(func.distinct(Lead.company_id))).where(Lead.company_id.is_not(None))
        )
        assert len(accounts) == with_company and f"{with_company:,} accounts" in scored.stdout
        best_account, company = top_accounts(session, run, limit=1)[0]
        worst, lead = sorted(
            session.execute(
                select(LeadScore, Lead)
                .join(Lead, Lead.id == LeadScore.lead_id)
                .where(LeadScore.run_id == run.id)
            ).all(),
            key=lambda pair: pair[0].score,
        )[0]
    listed = cli("accounts", "list", "-n", "5")
    assert listed.exit_code == 0, listed.stderr
    assert (company.domain or company.name or "") in listed.stdout
    assert f"{best_account.score:.1f}" in listed.stdout
    assert cli("accounts", "list", "--grade", "A").exit_code == 0

    overridden = cli(
        "leads",
        "override",
        str(lead.id),
        "--grade",
        "a",
        "--reason",
        "met at the fair",
        "--by",
        "ana",
    )
    assert overridden.exit_code == 0, overridden.stderr
    shown = cli("leads", "show", str(lead.id))
    assert "grade A set by ana on" in shown.stdout and "met at the fair" in shown.stdout
    # The computed score and grade stay beside it.
    assert f"score {worst.score:.1f} grade {worst.grade}" in shown.stdout

    # Scoring again updates the computed score and leaves the person's grade alone.
    assert cli("score").exit_code == 0
    with session_scope(sampled.engine) as session:
        assert current_overrides(session, [lead.id])[lead.id].grade == "A"
        assert scores_of_lead(session, lead.id, limit=20)[1] == 2
    again = cli("leads", "override", str(lead.id), "-g", "B", "-r", "budget frozen", "--by", "bo")
    assert again.exit_code == 0
    with session_scope(sampled.engine) as session:
        history = overrides_of_lead(session, lead.id)
        assert [(o.grade, o.cleared_by) for o in history] == [("B", None), ("A", "bo")]
    cleared = cli("leads", "override", str(lead.id), "--clear", "--by", "bo")
    assert cleared.exit_code == 0 and "cleared" in cleared.stdout
    assert "set by" not in cli("leads", "show", str(lead.id)).stdout

    for args, message in (
        (["--grade", "F", "--reason", "x"], "not one of A, B, C, D, E"),
        (["--grade", "A"], "say why"),
        (["--clear"], "no grade override to clear"),
        ([], "--grade A-E, or --clear"),
    ):
        wrong = cli("leads", "override", str(lead.id), *args)
        assert wrong.exit_code == 1 and message in wrong.stderr, wrong.stderr
