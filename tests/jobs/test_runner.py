"""Jobs end to end on a real database: deferred with their rows, run by the in-process runner,
failures kept with their error and retried, and jobs of a dead process queued again."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.errors import BadInput, Conflict
from leadrank.ingest.uploads import queue_upload
from leadrank.jobs import claims, service
from leadrank.jobs.defer import defer
from leadrank.jobs.routes import TaskName
from leadrank.jobs.runner import JobRunner
from leadrank.jobs.tasks import registered_tasks
from leadrank.orm import Import, Job, Lead
from tests.conftest import Workspace
from tests.jobs.uploads import queue_file, stored_job

CSV = (
    b"email,first name,last name,company\nann@acme.com,Ann,Lee,Acme\nbo@globex.io,Bo,Chen,Globex\n"
)


def _alone(workspace: Workspace, data_dir: Path) -> Settings:
    """Settings under which an import queues no enrichment or scoring after it."""
    return Settings(
        database_url=workspace.url, data_dir=data_dir, auto_enrich=False, auto_score=False
    )


def _queue(workspace: Workspace, data_dir: Path, body: bytes = CSV, name: str = "a.csv") -> int:
    return queue_file(workspace, data_dir, body, name)


def test_a_queued_import_runs_once_and_records_its_result(
    workspace: Workspace, tmp_path: Path
) -> None:
    settings = _alone(workspace, tmp_path)
    job_id = _queue(workspace, tmp_path)
    assert [p.name for p in (tmp_path / "uploads").glob("*/*")] == ["a.csv"]  # until its job
    runner = JobRunner(workspace.engine, settings)
    assert runner.run_until_idle() == 1
    assert runner.run_until_idle() == 0  # nothing runs twice
    job = stored_job(workspace, job_id)
    assert (job.status, job.attempts, job.error) == ("succeeded", 1, None)
    assert job.result is not None and job.result["leads_created"] == 2
    assert job.progress == {"stage": "ingest", "done": 2, "total": 2}
    with session_scope(workspace.engine) as session:
        record = session.scalars(select(Import)).one()
        assert (record.status, record.source, record.kind) == ("done", "trade show", "leads")
        assert record.file_name == "a.csv" and record.rows_new == 2 and record.file_hash
        assert session.scalar(select(Lead.email).order_by(Lead.email)) == "ann@acme.com"
    assert not list((tmp_path / "uploads").iterdir())  # in bronze now: the file is gone


def test_a_failed_job_keeps_its_error_and_can_be_retried(
    workspace: Workspace, tmp_path: Path
) -> None:
    settings = _alone(workspace, tmp_path)
    # An events file without an event type column cannot be imported.
    job_id = _queue(workspace, tmp_path, b"when,email\n2026-01-01,a@b.com\n", "events.csv")
    with session_scope(workspace.engine) as session:
        session.execute(update(Import).values(kind="events"))
    runner = JobRunner(workspace.engine, settings)
    runner.run_until_idle()
    job = stored_job(workspace, job_id)
    assert job.status == "failed" and job.error is not None
    assert job.attempts == 1  # bad input: its declared retries would fail the same way
    assert job.error.startswith("events.csv: no event type column")
    first_finish = job.finished_at
    with session_scope(workspace.engine) as session:
        record = session.scalars(select(Import)).one()
        assert record.status == "failed" and "no event type column" in (record.error or "")
    with session_scope(workspace.engine) as session:
        retried = service.retry_job(session, job_id, requested_by="cli")
        assert (retried.status, retried.error) == ("queued", None)
    with (
        session_scope(workspace.engine) as session,
        pytest.raises(Conflict, match="only a failed job"),
    ):
        service.retry_job(session, job_id)
    runner.run_until_idle()
    job = stored_job(workspace, job_id)
    # Run again, with its retries again: a replay starts its attempts anew.
    assert (job.status, job.attempts) == ("failed", 1)
    assert job.finished_at is not None and first_finish is not None
    assert job.finished_at > first_finish


def test_jobs_exist_only_with_their_transaction(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), session_scope(workspace.engine) as session:
        queue_upload(
            session,
            stream=io.BytesIO(CSV),
            file_name="a.csv",
            source="x",
            kind="auto",
            data_dir=tmp_path,
        )
        raise RuntimeError("the request failed after queueing")
    assert not list((tmp_path / "uploads").iterdir())  # nor its file
    with session_scope(workspace.engine) as session:
        assert session.scalars(select(Job)).all() == []
        assert session.scalars(select(Import)).all() == []
        with pytest.raises(BadInput, match="unknown task"):
            defer(session, task="mine_bitcoin", arguments={})
        with pytest.raises(BadInput, match="unsupported file type"):
            queue_upload(
                session,
                stream=io.BytesIO(b""),
                file_name="leads.exe",
                source="x",
                kind="auto",
                data_dir=tmp_path,
            )


def test_a_commit_wakes_the_runner_at_once(workspace: Workspace, tmp_path: Path) -> None:
    settings = _alone(workspace, tmp_path)
    # A poll of a minute: only the wake-up after commit can start the job within the wait.
    runner = JobRunner(workspace.engine, settings, poll_seconds=60)
    runner.start()
    try:
        job_id = _queue(workspace, tmp_path)
        deadline = datetime.now(UTC).timestamp() + 30
        while stored_job(workspace, job_id).status in ("queued", "running"):
            assert datetime.now(UTC).timestamp() < deadline, "the job was not started"
            threading.Event().wait(0.05)
    finally:
        runner.stop()
    assert stored_job(workspace, job_id).status == "succeeded"


def test_jobs_of_a_dead_process_are_queued_again(workspace: Workspace, tmp_path: Path) -> None:
    job_id = _queue(workspace, tmp_path)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    host = socket.gethostname()
    with session_scope(workspace.engine) as session:
        session.execute(
            update(Job).values(
                status="running",
                worker=f"{host}:{dead.stdout.strip()}",
                heartbeat_at=datetime.now(UTC),
            )
        )
        other = defer(session, task="import_file", arguments={"import_id": 0, "path": ""})
        # This process is alive: its job stays its own, however old its heartbeat.
        other.status, other.worker = "running", f"{host}:{os.getpid()}"
        other.heartbeat_at = datetime(2020, 1, 1, tzinfo=UTC)
        far = defer(session, task="import_file", arguments={"import_id": 0, "path": ""})
        # On another machine: queued again once its heartbeat is old.
        far.status, far.worker = "running", "elsewhere:1"
        far.heartbeat_at = datetime(2020, 1, 1, tzinfo=UTC)
        ids = (other.id, far.id)
    runner = JobRunner(workspace.engine, _alone(workspace, tmp_path))
    assert sorted(runner.recover()) == sorted([job_id, ids[1]])
    assert stored_job(workspace, ids[0]).status == "running"
    with session_scope(workspace.engine) as session:
        session.execute(update(Job).where(Job.id == ids[1]).values(status="succeeded"))
    runner.run_until_idle()
    assert (
        stored_job(workspace, job_id).status == "succeeded"
        and stored_job(workspace, job_id).attempts == 1
    )


def test_two_claims_never_take_the_same_job(workspace: Workspace, tmp_path: Path) -> None:
    job_id = _queue(workspace, tmp_path)
    with session_scope(workspace.engine) as first:
        taken = claims.claim_next(first, worker="a:1")
    with session_scope(workspace.engine) as second:
        assert claims.claim_next(second, worker="b:2") is None
    assert taken is not None and taken.id == job_id and taken.worker == "a:1"


def test_the_api_names_every_task() -> None:
    assert sorted(TaskName.__args__) == sorted(registered_tasks())  # type: ignore[attr-defined]


def test_a_queueing_lock_lost_to_a_twin_is_never_an_error(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import update

    from leadrank.jobs import defer as deferring
    from leadrank.orm import Job

    arguments = {"import_id": 0, "path": ""}
    with session_scope(workspace.engine) as session:
        twin = defer(session, task="import_file", arguments=arguments, queueing_lock="one")
    real = deferring.queued_with
    looks: list[int] = []

    def racing(session, queueing_lock):  # type: ignore[no-untyped-def]
        looks.append(1)
        if len(looks) == 1:
            return None  # the twin came in just after this look
        return real(session, queueing_lock)

    monkeypatch.setattr(deferring, "queued_with", racing)
    with session_scope(workspace.engine) as session:
        assert (
            defer(session, task="import_file", arguments=arguments, queueing_lock="one").id
            == twin.id
        )
    looks.clear()

    def taken_meanwhile(session, queueing_lock):  # type: ignore[no-untyped-def]
        looks.append(1)
        if len(looks) == 1:
            return None
        # ...and a runner took the twin before the second look: the lock is free again.
        session.execute(update(Job).where(Job.id == twin.id).values(status="running"))
        return real(session, queueing_lock)

    monkeypatch.setattr(deferring, "queued_with", taken_meanwhile)
    with session_scope(workspace.engine) as session:
        fresh = defer(session, task="import_file", arguments=arguments, queueing_lock="one")
    assert fresh.id != twin.id and fresh.status == "queued"


def test_a_failed_attempt_whose_twin_waits_is_queued_not_left_running(workspace: Workspace) -> None:
    from leadrank.orm import Job

    arguments = {"import_id": 0, "path": ""}
    with session_scope(workspace.engine) as session:
        first = defer(session, task="import_file", arguments=arguments, queueing_lock="two")
    with session_scope(workspace.engine) as session:
        assert claims.claim(session, first.id, worker="a:1") is not None
    with session_scope(workspace.engine) as session:
        twin = defer(session, task="import_file", arguments=arguments, queueing_lock="two")
        assert twin.id != first.id  # the first one runs: its lock no longer holds a place
    with session_scope(workspace.engine) as session:
        claims.queue_again(session, first.id, error="boom", wait_seconds=1.0)
    with session_scope(workspace.engine) as session:
        again, waiting = session.get(Job, first.id), session.get(Job, twin.id)
        assert again is not None and waiting is not None
        assert again.status == "queued" and again.queueing_lock is None and again.error == "boom"
        assert waiting.status == "queued" and waiting.queueing_lock == "two"
