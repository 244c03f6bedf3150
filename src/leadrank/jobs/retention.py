"""Retention: records that served their purpose are purged after `retention_days`, and score
history beyond `score_history_days` or the newest `score_history_per_lead` scores of a lead.

Purged: finished jobs (a failed one stays until it is retried or as long as a finished one),
enrichment attempts, cache entries expired for that long, and outbox messages with nothing
left to send; on PostgreSQL also
procrastinate's own finished jobs. Of the score history, each lead's latest served score (and
each company's latest account score) always stays, whatever its age, and a run left with no
score at all goes. Leads, events and bronze are the workspace's own data and are never purged
here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.jobs.tasks import Task, TaskContext
from leadrank.orm import Job
from leadrank.orm.enrichment import EnrichmentAttempt, EnrichmentCacheEntry
from leadrank.orm.outlets import AlertHit, Delivery, OutboxMessage
from leadrank.orm.scoring import AccountScore, LeadScore, ScoreRun


@dataclass(frozen=True)
class Purged:
    """How many rows of each kind went."""

    jobs: int
    enrichment_attempts: int
    cache_entries: int
    worker_jobs: int
    lead_scores: int = 0
    account_scores: int = 0
    score_runs: int = 0
    outbox_messages: int = 0  # sent (or dead) messages, with their deliveries and alert hits


def purge(
    session: Session,
    *,
    days: int,
    score_days: int | None = None,
    scores_per_lead: int | None = None,
    now: datetime | None = None,
) -> Purged:
    """Delete what is older than `days`, and score history older than `score_days` or beyond
    the newest `scores_per_lead` of a lead (None: kept), in the caller's transaction."""
    now = now or datetime.now(UTC)
    before = now - timedelta(days=days)
    jobs = session.execute(
        delete(Job).where(Job.status.in_(("succeeded", "failed")), Job.finished_at < before)
    )
    attempts = session.execute(
        delete(EnrichmentAttempt).where(EnrichmentAttempt.created_at < before)
    )
    cache = session.execute(
        delete(EnrichmentCacheEntry).where(EnrichmentCacheEntry.expires_at < before)
    )
    worker_jobs = 0
    if session.get_bind().dialect.name == "postgresql":
        from leadrank.jobs.worker import purge_finished

        worker_jobs = purge_finished(session, hours=days * 24)
    scores = purge_score_history(session, days=score_days, per_lead=scores_per_lead, now=now)
    messages = purge_outbox(session, before=before)
    return Purged(
        jobs=jobs.rowcount,  # type: ignore[attr-defined]
        enrichment_attempts=attempts.rowcount,  # type: ignore[attr-defined]
        cache_entries=cache.rowcount,  # type: ignore[attr-defined]
        worker_jobs=worker_jobs,
        lead_scores=scores[0],
        account_scores=scores[1],
        score_runs=scores[2],
        outbox_messages=messages,
    )


def purge_outbox(session: Session, *, before: datetime) -> int:
    """Messages older than `before` with nothing left to send (their deliveries delivered or
    dead go with them), and alert hits told before then; how many messages went. They hold
    leads' names and emails, so they are not kept for ever."""
    pending = select(Delivery.id).where(
        Delivery.message_id == OutboxMessage.id, Delivery.status == "pending"
    )
    old = select(OutboxMessage.id).where(OutboxMessage.created_at < before, ~pending.exists())
    session.execute(delete(Delivery).where(Delivery.message_id.in_(old)))
    gone = session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(old)))
    session.execute(delete(AlertHit).where(AlertHit.sent_at < before))
    return int(gone.rowcount)  # type: ignore[attr-defined]


def purge_as_configured(session: Session, settings: Settings, *, days: int | None = None) -> Purged:
    """`purge` with the settings' limits (`days` instead of `retention_days` when given)."""
    return purge(
        session,
        days=days or settings.retention_days,
        score_days=settings.score_history_days,
        scores_per_lead=settings.score_history_per_lead,
    )


def purge_score_history(
    session: Session, *, days: int | None, per_lead: int | None, now: datetime
) -> tuple[int, int, int]:
    """Lead scores and account scores older than `days` or beyond the newest `per_lead` of
    their lead (company), never the latest; then the runs left empty. How many of each went."""
    lead_rows = account_rows = 0
    if days is not None:
        old = select(ScoreRun.id).where(ScoreRun.as_of < now - timedelta(days=days))
        lead_rows += _deleted(session, LeadScore, LeadScore.run_id.in_(old))
        account_rows += _deleted(session, AccountScore, AccountScore.run_id.in_(old))
    if per_lead is not None:
        lead_rows += _deleted(session, LeadScore, _beyond(LeadScore, LeadScore.lead_id, per_lead))
        account_rows += _deleted(
            session, AccountScore, _beyond(AccountScore, AccountScore.company_id, per_lead)
        )
    emptied = delete(ScoreRun).where(
        ~select(LeadScore.id).where(LeadScore.run_id == ScoreRun.id).exists(),
        ~select(AccountScore.id).where(AccountScore.run_id == ScoreRun.id).exists(),
    )
    runs = session.execute(emptied).rowcount  # type: ignore[attr-defined]
    return lead_rows, account_rows, runs


def _deleted(session: Session, model: Any, condition: Any) -> int:
    """Delete the rows of `model` that meet `condition` and are not latest; how many."""
    statement = delete(model).where(condition, ~model.latest)
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _beyond(model: Any, key: Any, keep: int) -> Any:
    """Rows past the newest `keep` of their key; shadow runs' rows are counted apart, so
    comparing a shadow model never costs a lead its served history."""
    newest_first = (
        func.row_number()
        .over(partition_by=(key, ScoreRun.stage == "shadow"), order_by=model.id.desc())
        .label("place")
    )
    ranked = select(model.id, newest_first).join(ScoreRun, ScoreRun.id == model.run_id).subquery()
    return model.id.in_(select(ranked.c.id).where(ranked.c.place > keep))


def _purge(context: TaskContext) -> dict[str, Any]:
    days = context.arguments.get("days")
    purged = purge_as_configured(context.session, context.settings, days=days and int(days))
    return asdict(purged)


PURGE_OLD_RECORDS = Task(run=_purge)
