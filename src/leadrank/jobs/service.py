"""Jobs as the API and the CLI see them: find one, list them, retry a failed one."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadrank.errors import Conflict
from leadrank.jobs.defer import hand_to_workers, wake_after_commit
from leadrank.jobs.tasks import registered_tasks
from leadrank.kit.pages import newest_first
from leadrank.kit.sql import get_or_404
from leadrank.orm import Job

STATUSES = ("queued", "running", "succeeded", "failed")


def get_job(session: Session, job_id: int) -> Job:
    """One job, or 404."""
    return get_or_404(session, Job, job_id, name="job")


def list_jobs(
    session: Session,
    *,
    status: str | None = None,
    task: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[Job]:
    """Jobs, newest first; `before` (a job id) pages back through older ones."""
    statement = select(Job)
    if status:
        statement = statement.where(Job.status == status)
    if task:
        statement = statement.where(Job.task == task)
    return list(session.scalars(newest_first(statement, Job.id, before=before, limit=limit)))


def count_jobs(session: Session, *, task: str | None = None) -> dict[str, int]:
    """How many jobs are in each status (every status named, 0 when it has none)."""
    statement = select(Job.status, func.count()).group_by(Job.status)
    if task:
        statement = statement.where(Job.task == task)
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in session.execute(statement):
        counts[status] = int(count)
    return counts


def retry_job(session: Session, job_id: int, *, requested_by: str | None = None) -> Job:
    """Queue a failed job again, with its arguments; any other job is left as it is (409)."""
    job = get_job(session, job_id)
    if job.status != "failed":
        raise Conflict(f"job {job_id} is {job.status}; only a failed job can be retried")
    job.status, job.error, job.result, job.progress = "queued", None, None, None
    job.started_at = job.finished_at = job.heartbeat_at = job.run_after = None
    job.worker = None
    job.attempts = 0  # a replay has its declared retries again
    if requested_by:
        job.requested_by = requested_by
    session.flush()
    hand_to_workers(session, job)
    wake_after_commit(session)
    return job


def known_tasks() -> list[str]:
    """Names of every task a job can run."""
    return sorted(registered_tasks())
