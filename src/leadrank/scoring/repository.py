"""Every query of workspace scoring: leads with their company, events, score runs and scores."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadrank.kit.bulk import bulk_insert, select_all
from leadrank.orm import Company, Event, Lead
from leadrank.orm.scoring import LeadScore, ModelVersion, ScoreRun

LEAD_FIELDS = (
    "id",
    "company_id",
    "created_at",
    "source_created_at",
    "seniority",
    "department",
    "job_title",
    "email_valid",
    "email_free_mail",
    "email_disposable",
    "email_role",
    "phone_e164",
    "country_code",
    "lead_source",
    "lead_status",
    "quality_score",
    "attributes",
)
COMPANY_FIELDS = ("id", "industry", "employees", "revenue")


def lead_frame(session: Session) -> pl.DataFrame:
    """Every lead with the firmographics of its company (lead_id first)."""
    leads = select_all(session, Lead, LEAD_FIELDS).rename({"id": "lead_id"})
    companies = select_all(session, Company, COMPANY_FIELDS).rename({"id": "company_id"})
    return leads.join(companies, on="company_id", how="left").drop("company_id")


def event_frame(session: Session) -> pl.DataFrame:
    """Every event: lead_id, event_type, occurred_at."""
    events = select_all(session, Event, ("lead_id", "event_type", "occurred_at"))
    return events.sort("lead_id", "occurred_at")


def start_run(
    session: Session, *, model: ModelVersion | None, stage: str, as_of: datetime
) -> ScoreRun:
    """A new scoring run of one model (or the rules)."""
    label = f"{model.name}:v{model.version}" if model is not None else "rules"
    run = ScoreRun(
        model_id=model.id if model is not None else None,
        model_version=label,
        stage=stage,
        as_of=as_of,
        started_at=datetime.now(UTC),
        leads=0,
    )
    session.add(run)
    session.flush()
    return run


def save_scores(session: Session, run: ScoreRun, scores: pl.DataFrame) -> None:
    """Store a run's scores (lead_id, fit, engagement, probability, score, grade, confidence,
    reasons, features; JSON columns as text)."""
    bulk_insert(session, LeadScore, scores.with_columns(pl.lit(run.id).alias("run_id")))
    run.leads = scores.height
    run.finished_at = datetime.now(UTC)
    session.flush()


def latest_run(session: Session, *, stage: str | None = None) -> ScoreRun | None:
    """The newest finished run (of a stage)."""
    query = select(ScoreRun).where(ScoreRun.finished_at.is_not(None))
    if stage:
        query = query.where(ScoreRun.stage == stage)
    return session.scalar(query.order_by(ScoreRun.id.desc()).limit(1))


def top_scores(session: Session, run: ScoreRun, *, limit: int) -> list[tuple[LeadScore, Lead]]:
    """The best-scored leads of a run, with the lead (merged-away leads are skipped)."""
    query = (
        select(LeadScore, Lead)
        .join(Lead, Lead.id == LeadScore.lead_id)
        .where(LeadScore.run_id == run.id)
        .order_by(LeadScore.score.desc(), LeadScore.lead_id)
        .limit(limit)
    )
    return [(score, lead) for score, lead in session.execute(query).all()]


def scores_of_lead(session: Session, lead_id: int) -> list[tuple[LeadScore, ScoreRun]]:
    """A lead's score history, newest first."""
    query = (
        select(LeadScore, ScoreRun)
        .join(ScoreRun, ScoreRun.id == LeadScore.run_id)
        .where(LeadScore.lead_id == lead_id)
        .order_by(LeadScore.id.desc())
    )
    return [(score, run) for score, run in session.execute(query).all()]


def grade_counts(session: Session, run: ScoreRun) -> dict[str, int]:
    """How many leads of a run got each grade."""
    query = (
        select(LeadScore.grade, func.count())
        .where(LeadScore.run_id == run.id)
        .group_by(LeadScore.grade)
    )
    return {grade: int(count) for grade, count in session.execute(query).all()}
