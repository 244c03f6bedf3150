"""Every query of workspace scoring: leads with their company, events, score runs, lead and
account scores, and grade overrides."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadrank.errors import NotFound
from leadrank.kit.bulk import bulk_insert, select_all
from leadrank.orm import Company, Lead
from leadrank.orm.scoring import AccountScore, LeadScore, ModelVersion, ScoreRun


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


def served_run(session: Session) -> ScoreRun:
    """The newest run whose scores are served (the active model's, or the rules')."""
    query = select(ScoreRun).where(
        ScoreRun.finished_at.is_not(None), ScoreRun.stage.in_(("active", "rules"))
    )
    run = session.scalar(query.order_by(ScoreRun.id.desc()).limit(1))
    if run is None:
        raise NotFound("nothing scored yet: run `leadrank score`")
    return run


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


def grade_counts(session: Session, run: ScoreRun) -> dict[str, int]:
    """How many leads of a run got each grade."""
    query = (
        select(LeadScore.grade, func.count())
        .where(LeadScore.run_id == run.id)
        .group_by(LeadScore.grade)
    )
    return {grade: int(count) for grade, count in session.execute(query).all()}


def company_of_leads(session: Session) -> pl.DataFrame:
    """lead_id and company_id of every lead that has a company."""
    pairs = select_all(session, Lead, ("id", "company_id")).rename({"id": "lead_id"})
    return pairs.filter(pl.col("company_id").is_not_null())


def save_account_scores(session: Session, run: ScoreRun, accounts: pl.DataFrame) -> None:
    """Store a run's account scores (company_id, score, grade, probability, leads,
    best_lead_id, reasons as JSON text)."""
    bulk_insert(session, AccountScore, accounts.with_columns(pl.lit(run.id).alias("run_id")))


def top_accounts(
    session: Session, run: ScoreRun, *, limit: int, grade: str | None = None
) -> list[tuple[AccountScore, Company]]:
    """The best-scored companies of a run, with the company."""
    query = (
        select(AccountScore, Company)
        .join(Company, Company.id == AccountScore.company_id)
        .where(AccountScore.run_id == run.id)
    )
    if grade:
        query = query.where(AccountScore.grade == grade)
    query = query.order_by(AccountScore.score.desc(), AccountScore.company_id).limit(limit)
    return [(account, company) for account, company in session.execute(query).all()]
