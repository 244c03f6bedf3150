"""Retention: records that served their purpose are purged after `retention_days`.

Purged: finished jobs (a failed one stays until it is retried or as long as a finished one),
enrichment attempts, and cache entries expired for that long; on PostgreSQL also
procrastinate's own finished jobs. Leads, events, scores and bronze are the workspace's
history and are never purged here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from leadrank.jobs.tasks import Task, TaskContext
from leadrank.orm import Job
from leadrank.orm.enrichment import EnrichmentAttempt, EnrichmentCacheEntry


@dataclass(frozen=True)
class Purged:
    """How many rows of each kind went."""

    jobs: int
    enrichment_attempts: int
    cache_entries: int
    worker_jobs: int


def purge(session: Session, *, days: int, now: datetime | None = None) -> Purged:
    """Delete what is older than `days`, in the caller's transaction."""
    before = (now or datetime.now(UTC)) - timedelta(days=days)
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
    return Purged(
        jobs=jobs.rowcount,  # type: ignore[attr-defined]
        enrichment_attempts=attempts.rowcount,  # type: ignore[attr-defined]
        cache_entries=cache.rowcount,  # type: ignore[attr-defined]
        worker_jobs=worker_jobs,
    )


def _purge(context: TaskContext) -> dict[str, Any]:
    days = int(context.arguments.get("days") or context.settings.retention_days)
    return asdict(purge(context.session, days=days))


PURGE_OLD_RECORDS = Task(run=_purge)
