"""A job whose process dies in every attempt (a file that kills whatever reads it) stops at
its task's attempts, with an error saying so, instead of killing each process that takes it."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, update

from leadrank.db.engine import session_scope
from leadrank.jobs import claims
from leadrank.jobs.defer import defer
from leadrank.orm import Import, Job
from tests.conftest import Workspace
from tests.jobs.uploads import queue_file


def _dead_worker() -> str:
    """host:pid of a process of this machine that has ended."""
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return f"{socket.gethostname()}:{ended.stdout.strip()}"


def _left_running(workspace: Workspace, job_id: int, attempts: int) -> None:
    with session_scope(workspace.engine) as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status="running", attempts=attempts, worker=_dead_worker())
        )


def test_a_job_whose_process_died_in_each_attempt_fails_instead_of_running_again(
    workspace: Workspace, tmp_path: Path
) -> None:
    job_id = queue_file(workspace, tmp_path / "data", b"email\nann@acme.com\n", "a.csv")
    _left_running(workspace, job_id, attempts=2)  # import_file allows 3 attempts
    with session_scope(workspace.engine) as session:
        assert claims.recover_stale(session, alive=claims.process_alive) == [job_id]
        assert len(claims.due_or_running(session)) == 1
        job = claims.claim_next(session, worker="test:1")
        assert job is not None and job.attempts == 3
    _left_running(workspace, job_id, attempts=3)
    with session_scope(workspace.engine) as session:
        assert claims.recover_stale(session, alive=claims.process_alive) == []
        assert claims.due_or_running(session) == []
    with session_scope(workspace.engine) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "failed" and job.finished_at is not None
        assert job.error is not None
        assert "its process stopped during its attempt 3, the last it may have" in job.error
        assert f"leadrank jobs retry {job_id}" in job.error
        record = session.scalars(select(Import)).one()
        assert record.status == "failed" and record.error == job.error


def test_a_job_declared_without_retries_outlives_a_restart(
    workspace: Workspace, tmp_path: Path
) -> None:
    # Training declares no retries; a `leadrank serve` restart that stops it under way must
    # not fail it: it is queued again, up to its third interrupted attempt.
    with session_scope(workspace.engine) as session:
        job = defer(session, task="train_model", arguments={"label": "won within 90d"})
        job_id = job.id
    for attempts, recovered in ((1, [job_id]), (2, [job_id]), (3, [])):
        _left_running(workspace, job_id, attempts=attempts)
        with session_scope(workspace.engine) as session:
            assert claims.recover_stale(session, alive=claims.process_alive) == recovered
    with session_scope(workspace.engine) as session:
        assert session.scalar(select(Job.status).where(Job.id == job_id)) == "failed"
