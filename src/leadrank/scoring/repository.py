"""Every query of workspace scoring: leads with their company, events, score runs, lead and
account scores, and grade overrides.

Each lead's served score is its newest row from a served run (active or rules), marked
`latest`; a run of the changed leads alone moves the mark of those leads only, so every
reader (lists, worklists, exports, accounts) reads the marked rows, never "the newest run"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from leadrank.errors import NotFound
from leadrank.kit.bulk import bulk_insert, select_all
from leadrank.kit.sql import batched
from leadrank.orm import Company, Event, Lead
from leadrank.orm.scoring import SERVED_STAGES, AccountScore, LeadScore, ModelVersion, ScoreRun
from leadrank.scoring import outlet_events

IDS_PER_STATEMENT = 10_000  # below SQLite's bound on parameters per statement
# PostgreSQL: scoring transactions take this lock, so two runs (the CLI's and a job's) never
# move the same lead's latest mark at once; SQLite's single writer already sees to that.
SCORING_LOCK = 7_301_004


def lock_scoring(session: Session) -> None:
    """Wait until no other transaction scores, and hold that until this one ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCORING_LOCK})


def start_run(
    session: Session,
    *,
    model: ModelVersion | None,
    stage: str,
    as_of: datetime,
    scope: str = "all",
    basis: str | None = None,
) -> ScoreRun:
    """A new scoring run of one model (or the rules), over every lead or the changed ones."""
    label = f"{model.name}:v{model.version}" if model is not None else "rules"
    run = ScoreRun(
        model_id=model.id if model is not None else None,
        model_version=label,
        stage=stage,
        as_of=as_of,
        started_at=datetime.now(UTC),
        leads=0,
        scope=scope,
        basis=basis,
    )
    session.add(run)
    session.flush()
    return run


def save_scores(session: Session, run: ScoreRun, scores: pl.DataFrame) -> None:
    """Store a run's scores (lead_id, fit, engagement, probability, score, grade, confidence,
    reasons, features; JSON columns as text); a served run's become their leads' latest."""
    served = run.stage in SERVED_STAGES
    news = outlet_events.before_saving(session, run, scores)
    if served:
        _unmark(session, LeadScore, LeadScore.lead_id, scores.get_column("lead_id"), run)
    bulk_insert(
        session,
        LeadScore,
        scores.with_columns(
            pl.lit(run.id).alias("run_id"),
            pl.lit(served).alias("latest"),
            reason_key(pl.col("reasons")).alias("reason_key"),
        ),
    )
    run.leads = scores.height
    run.finished_at = datetime.now(UTC)
    session.flush()
    if news is not None:
        outlet_events.tell(session, run, scores, news)


def reason_key(reasons: pl.Expr) -> pl.Expr:
    """The worklist's sort key of each score's top reason (the first for it, else the first
    against it, in the reasons' JSON text): "0" + the reason in lower case, "1" for none, so
    leads with no reason come last."""
    first = pl.coalesce(
        reasons.str.json_path_match("$.positive[0]"),
        reasons.str.json_path_match("$.negative[0]"),
    )
    return (
        pl.when(first.is_null() | (first == ""))
        .then(pl.lit("1"))
        .otherwise(pl.lit("0") + first.str.to_lowercase())
    )


def _unmark(session: Session, model: Any, key: Any, ids: pl.Series, run: ScoreRun) -> None:
    """The rows marked latest for these ids are latest no more; a run over every lead
    unmarks every row (leads merged away since keep none)."""
    marked = update(model).where(model.latest).values(latest=False)
    if run.scope == "all":
        session.execute(marked.execution_options(synchronize_session=False))
        return
    for chunk in batched(ids.unique().sort().to_list(), IDS_PER_STATEMENT):
        session.execute(marked.where(key.in_(chunk)).execution_options(synchronize_session=False))


def latest_whole_run(session: Session) -> ScoreRun | None:
    """The newest finished served run over every lead."""
    query = select(ScoreRun).where(
        ScoreRun.finished_at.is_not(None),
        ScoreRun.stage.in_(SERVED_STAGES),
        ScoreRun.scope == "all",
    )
    return session.scalar(query.order_by(ScoreRun.id.desc()).limit(1))


def count_leads(session: Session) -> int:
    """How many leads the workspace holds."""
    return int(session.scalar(select(func.count()).select_from(Lead)) or 0)


def lead_ids(session: Session) -> list[int]:
    """Every lead's id, in order."""
    return list(session.scalars(select(Lead.id).order_by(Lead.id)))


def first_events(session: Session, ids: Sequence[int]) -> pl.DataFrame:
    """The first event of each of these leads: lead_id, occurred_at."""
    rows: list[tuple[int, object]] = []
    for batch in batched(ids, IDS_PER_STATEMENT):
        found = session.execute(
            select(Event.lead_id, func.min(Event.occurred_at))
            .where(Event.lead_id.in_(list(batch)))
            .group_by(Event.lead_id)
        )
        rows.extend((lead_id, first) for lead_id, first in found)
    return pl.DataFrame(
        rows,
        schema={"lead_id": pl.Int64, "occurred_at": pl.Datetime("us", "UTC")},
        orient="row",
    )


def unscored_leads(session: Session) -> list[int]:
    """The leads with no served score yet."""
    scored = select(LeadScore.lead_id).where(LeadScore.latest, LeadScore.lead_id == Lead.id)
    return list(session.scalars(select(Lead.id).where(~scored.exists()).order_by(Lead.id)))


def latest_run(session: Session, *, stage: str | None = None) -> ScoreRun | None:
    """The newest finished run (of a stage)."""
    query = select(ScoreRun).where(ScoreRun.finished_at.is_not(None))
    if stage:
        query = query.where(ScoreRun.stage == stage)
    return session.scalar(query.order_by(ScoreRun.id.desc()).limit(1))


def served_run(session: Session) -> ScoreRun:
    """The newest run whose scores are served (the active model's, or the rules')."""
    query = select(ScoreRun).where(
        ScoreRun.finished_at.is_not(None), ScoreRun.stage.in_(SERVED_STAGES)
    )
    run = session.scalar(query.order_by(ScoreRun.id.desc()).limit(1))
    if run is None:
        raise NotFound("nothing scored yet: run `leadrank score`")
    return run


def top_scores(
    session: Session, run: ScoreRun | None = None, *, limit: int
) -> list[tuple[LeadScore, Lead]]:
    """The best-scored leads of a run, or by their latest served score when no run is named,
    with the lead (merged-away leads are skipped)."""
    chosen = LeadScore.latest if run is None else LeadScore.run_id == run.id
    query = (
        select(LeadScore, Lead)
        .join(Lead, Lead.id == LeadScore.lead_id)
        .where(chosen)
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
    best_lead_id, reasons as JSON text); a served run's become their companies' latest."""
    served = run.stage in SERVED_STAGES
    if served:
        ids = accounts.get_column("company_id")
        _unmark(session, AccountScore, AccountScore.company_id, ids, run)
    bulk_insert(
        session,
        AccountScore,
        accounts.with_columns(pl.lit(run.id).alias("run_id"), pl.lit(served).alias("latest")),
    )


def latest_accounts(session: Session) -> pl.DataFrame:
    """Each company's latest served account score as its run left it: company_id, grade,
    leads and best_lead_id."""
    rows = session.execute(
        select(
            AccountScore.company_id,
            AccountScore.grade,
            AccountScore.leads,
            AccountScore.best_lead_id,
        ).where(AccountScore.latest)
    ).all()
    schema = {
        "company_id": pl.Int64,
        "grade": pl.String,
        "leads": pl.Int64,
        "best_lead_id": pl.Int64,
    }
    return pl.DataFrame([tuple(row) for row in rows], schema=schema, orient="row")


def retire_accounts(session: Session, company_ids: list[int]) -> None:
    """These companies' latest account scores are latest no more: none of their leads is
    left to roll up (moved to another company, or merged away)."""
    marked = update(AccountScore).where(AccountScore.latest).values(latest=False)
    for chunk in batched(sorted(company_ids), IDS_PER_STATEMENT):
        session.execute(
            marked.where(AccountScore.company_id.in_(chunk)).execution_options(
                synchronize_session=False
            )
        )


def top_accounts(
    session: Session, run: ScoreRun | None = None, *, limit: int, grade: str | None = None
) -> list[tuple[AccountScore, Company]]:
    """The best-scored companies of a run, or by their latest served account score when no
    run is named, with the company."""
    chosen = AccountScore.latest if run is None else AccountScore.run_id == run.id
    query = (
        select(AccountScore, Company)
        .join(Company, Company.id == AccountScore.company_id)
        .where(chosen)
    )
    if grade:
        query = query.where(AccountScore.grade == grade)
    query = query.order_by(AccountScore.score.desc(), AccountScore.company_id).limit(limit)
    return [(account, company) for account, company in session.execute(query).all()]


def accounts_page(
    session: Session, *, limit: int, offset: int = 0, grade: str | None = None
) -> tuple[list[tuple[AccountScore, Company]], int]:
    """One page of companies by their latest served account score, best first, and how many
    companies (of `grade`, if given) have one."""
    chosen = [AccountScore.latest, *([AccountScore.grade == grade] if grade else [])]
    query = (
        select(AccountScore, Company)
        .join(Company, Company.id == AccountScore.company_id)
        .where(*chosen)
        .order_by(AccountScore.score.desc(), AccountScore.company_id)
        .limit(limit)
        .offset(offset)
    )
    total = session.scalar(
        select(func.count())
        .select_from(AccountScore)
        .join(Company, Company.id == AccountScore.company_id)
        .where(*chosen)
    )
    return [(account, company) for account, company in session.execute(query).all()], int(
        total or 0
    )
