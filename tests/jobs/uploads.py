"""A file uploaded and queued for import, as `POST /api/v1/imports` does it, and a job row
as it stands."""

from __future__ import annotations

import io
from pathlib import Path

from leadrank.db.engine import session_scope
from leadrank.ingest.uploads import queue_upload
from leadrank.orm import Job
from tests.conftest import Workspace


def queue_file(
    workspace: Workspace, data_dir: Path, body: bytes, name: str, source: str = "Trade Show"
) -> int:
    """Queue `body` as an uploaded file called `name`; the id of its import job."""
    with session_scope(workspace.engine) as session:
        record = queue_upload(
            session,
            stream=io.BytesIO(body),
            file_name=name,
            source=source,
            kind="auto",
            data_dir=data_dir,
        )
        assert record.status == "queued" and record.job_id is not None
        return record.job_id


def stored_job(workspace: Workspace, job_id: int) -> Job:
    """The job row as it is now, detached from its session."""
    with session_scope(workspace.engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job
