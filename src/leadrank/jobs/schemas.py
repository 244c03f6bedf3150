"""API shapes of jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from leadrank.orm import Job


class JobPublic(BaseModel):
    """A background job: what it runs, where it stands, and what it gave."""

    id: int
    task: str
    arguments: dict[str, Any]
    status: str  # queued | running | succeeded | failed
    attempts: int
    requested_by: str | None
    progress: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobPublic:
        """The public view of a job row."""
        return cls(
            id=job.id,
            task=job.task,
            arguments=dict(job.arguments),
            status=job.status,
            attempts=job.attempts,
            requested_by=job.requested_by,
            progress=job.progress,
            result=job.result,
            error=job.error,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class JobPage(BaseModel):
    """Jobs, newest first; `next_before` fetches the older ones."""

    items: list[JobPublic]
    next_before: int | None
