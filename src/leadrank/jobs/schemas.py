"""API shapes of jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from leadrank.orm import Job


class JobPublic(BaseModel):
    """A background job: what it runs, where it stands, and what it gave."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    task: str
    arguments: dict[str, Any]
    status: str  # queued | running | succeeded | failed
    attempts: int  # since it was deferred or last replayed
    run_after: datetime | None  # a queued retry waits out its backoff until then
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
        return cls.model_validate(job)


class JobPage(BaseModel):
    """Jobs, newest first; `next_before` fetches the older ones."""

    items: list[JobPublic]
    next_before: int | None
