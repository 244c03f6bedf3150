"""`/api/v1/jobs`: background jobs (imports, training), their state, and retrying a failed
one. Thin: `jobs.service` does the work."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from leadrank.api.errors import error_responses
from leadrank.deps import READERS, Admin, DbSession
from leadrank.jobs import service
from leadrank.jobs.schemas import JobPage, JobPublic
from leadrank.kit.pages import next_before

router = APIRouter(
    prefix="/api/v1/jobs", tags=["jobs"], responses=error_responses(401, 403, 422, 429)
)
JobId = Annotated[int, PathParam(ge=1, le=2**62)]
MAX_PAGE = 200
Status = Literal["queued", "running", "succeeded", "failed"]
TaskName = Literal[
    "crm_sync",
    "deliver_outbox",
    "enrich_leads",
    "import_file",
    "purge_old_records",
    "route_leads",
    "score_leads",
    "send_alerts",
    "train_model",
]  # the tasks registered in pyproject.toml; a test keeps them equal


@router.get("", summary="List jobs", dependencies=[READERS])
def list_jobs(
    session: DbSession,
    status: Status | None = None,
    task: TaskName | None = None,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="A job id")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> JobPage:
    """Jobs, newest first, by state or task."""
    jobs = service.list_jobs(session, status=status, task=task, before=before, limit=limit)
    return JobPage(
        items=[JobPublic.of(job) for job in jobs],
        next_before=next_before([job.id for job in jobs], limit),
    )


@router.get("/{job_id}", summary="One job", dependencies=[READERS], responses=error_responses(404))
def get_job(session: DbSession, job_id: JobId) -> JobPublic:
    """A job's state, progress, result or error."""
    return JobPublic.of(service.get_job(session, job_id))


@router.post(
    "/{job_id}/retry",
    summary="Run a failed job again",
    status_code=202,
    responses=error_responses(404, 409),
)
def retry_job(
    session: DbSession,
    job_id: JobId,
    principal: Admin,
) -> JobPublic:
    """Queue a failed job again with the same arguments."""
    job = service.retry_job(session, job_id, requested_by=principal.prefix)
    return JobPublic.of(job)
