"""procrastinate on PostgreSQL: jobs deferred with their rows, declared retries with
exponential backoff, replays, queueing locks and locks, and the periodic schedules."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.ingest import follow_up
from leadrank.jobs import claims, service, worker
from leadrank.jobs.defer import defer
from leadrank.jobs.tasks import registered_tasks
from leadrank.orm import Job
from tests.conftest import Workspace
from tests.jobs.uploads import queue_file, stored_job


@pytest.fixture
def pg(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A PostgreSQL workspace, with the test tasks known by name."""
    if workspace.backend != "postgresql":
        pytest.skip("procrastinate runs the jobs of PostgreSQL workspaces")
    monkeypatch.setitem(registered_tasks(), "flaky", "tests.jobs.flaky:FLAKY")
    monkeypatch.setitem(
        registered_tasks(), "flaky_once_retried", "tests.jobs.flaky:FLAKY_ONCE_RETRIED"
    )
    monkeypatch.setitem(registered_tasks(), "timed", "tests.jobs.flaky:TIMED")
    return workspace


def _worker_jobs(workspace: Workspace) -> list[dict[str, Any]]:
    with session_scope(workspace.engine) as session:
        rows = session.execute(
            text(
                "SELECT status, attempts, scheduled_at, args, lock FROM procrastinate_jobs "
                "ORDER BY id"
            )
        )
        return [dict(row._mapping) for row in rows]


def _work(workspace: Workspace, tmp_path: Path, concurrency: int = 1) -> None:
    """One in-process worker until no job is due."""
    settings = Settings(database_url=workspace.url, data_dir=tmp_path)
    worker.run_worker(
        workspace.engine,
        settings,
        concurrency=concurrency,
        exit_when_idle=True,
        schedules=False,
    )


def test_a_job_and_its_worker_job_commit_or_roll_back_together(pg: Workspace) -> None:
    with pytest.raises(RuntimeError), session_scope(pg.engine) as session:
        defer(session, task="flaky", arguments={"tally": "x", "fail_times": 0})
        raise RuntimeError("the rows it refers to fail to save")
    with session_scope(pg.engine) as session:
        assert session.scalars(select(Job)).all() == []
    assert _worker_jobs(pg) == []

    with session_scope(pg.engine) as session:
        job = defer(session, task="flaky", arguments={"tally": "x", "fail_times": 0}, lock="lead:7")
    [worker_job] = _worker_jobs(pg)
    assert worker_job["args"] == {"job_id": job.id, "task": "flaky"}
    assert (worker_job["status"], worker_job["lock"]) == ("todo", "lead:7")


def test_declared_retries_back_off_exponentially_then_succeed(
    pg: Workspace, tmp_path: Path
) -> None:
    tally = tmp_path / "tally"
    with session_scope(pg.engine) as session:
        job_id = defer(session, task="flaky", arguments={"tally": str(tally), "fail_times": 2}).id
    waits = []
    for failure in (1, 2):
        _work(pg, tmp_path)  # runs the attempt that is due, then nothing is due
        job = stored_job(pg, job_id)
        assert (job.status, job.attempts) == ("queued", failure)
        assert job.error == f"RuntimeError: failure {failure} of 2"
        [worker_job] = _worker_jobs(pg)
        assert (worker_job["status"], worker_job["attempts"]) == ("todo", failure)
        # The row and procrastinate agree on when the retry is due.
        assert job.run_after is not None
        assert abs((worker_job["scheduled_at"] - job.run_after).total_seconds()) < 1.5
        waits.append((job.run_after - datetime.now(UTC)).total_seconds())
        time.sleep(max(0.0, waits[-1]) + 0.2)
    # 2 ** 1, then 2 ** 2 seconds (less the little time the worker took to finish).
    assert 1.0 < waits[0] <= 2.0 and 3.0 < waits[1] <= 4.0, waits
    _work(pg, tmp_path)
    job = stored_job(pg, job_id)
    assert (job.status, job.attempts, job.result) == ("succeeded", 3, {"runs": 3})
    assert [j["status"] for j in _worker_jobs(pg)] == ["succeeded"]


def test_a_job_out_of_retries_fails_and_its_replay_runs_it_again(
    pg: Workspace, tmp_path: Path
) -> None:
    tally = tmp_path / "tally"
    with session_scope(pg.engine) as session:
        job_id = defer(
            session, task="flaky_once_retried", arguments={"tally": str(tally), "fail_times": 2}
        ).id
    _work(pg, tmp_path)
    time.sleep(1.2)  # 1 ** 1 second
    _work(pg, tmp_path)
    job = stored_job(pg, job_id)
    assert (job.status, job.attempts, job.error) == ("failed", 2, "RuntimeError: failure 2 of 2")
    assert [j["status"] for j in _worker_jobs(pg)] == ["failed"]
    with session_scope(pg.engine) as session:
        service.retry_job(session, job_id, requested_by="cli")
    _work(pg, tmp_path)
    job = stored_job(pg, job_id)
    assert (job.status, job.attempts, job.result) == ("succeeded", 1, {"runs": 3})
    assert [j["status"] for j in _worker_jobs(pg)] == ["failed", "succeeded"]


def test_a_waiting_rescore_absorbs_the_next_ones(pg: Workspace) -> None:
    with session_scope(pg.engine) as session:
        first = follow_up.rescore(session)
    with session_scope(pg.engine) as session:
        second = follow_up.rescore(session)
        third = follow_up.rescore(session)
    assert first.id == second.id == third.id
    assert len(_worker_jobs(pg)) == 1
    with session_scope(pg.engine) as session:
        session.get(Job, first.id).status = "running"  # type: ignore[union-attr]
    with session_scope(pg.engine) as session:
        # Once it runs, it may have read the workspace before the news: another is queued.
        assert follow_up.rescore(session).id != first.id


def test_jobs_sharing_a_lock_run_one_at_a_time(pg: Workspace, tmp_path: Path) -> None:
    log = tmp_path / "log"
    with session_scope(pg.engine) as session:
        for name, lock in (("a", "lead:1"), ("b", "lead:1"), ("c", None), ("d", None)):
            arguments = {"name": name, "seconds": 0.8, "log": str(log)}
            defer(session, task="timed", arguments=arguments, lock=lock)
    _work(pg, tmp_path, concurrency=2)
    runs = {
        name: (start, end) for name, start, end in map(json.loads, log.read_text().splitlines())
    }
    assert sorted(runs) == ["a", "b", "c", "d"]

    def overlap(one: str, other: str) -> bool:
        return runs[one][0] < runs[other][1] and runs[other][0] < runs[one][1]

    assert not overlap("a", "b")  # the same lead's jobs, one after the other
    assert overlap("c", "d") or overlap("a", "c") or overlap("b", "d")  # two at a time


def test_the_schedules_follow_the_settings(pg: Workspace, tmp_path: Path) -> None:
    settings = Settings(
        database_url=pg.url,
        data_dir=tmp_path,
        schedule_retention="",
        schedule_rescore="*/5 * * * *",
    )
    app = worker.worker_app(settings)
    crons = {key[0]: task.cron for key, task in app.periodic_registry.periodic_tasks.items()}
    assert crons == {
        worker.RECOVER: "* * * * *",
        "leadrank.schedule.enrichment_refresh": "0 3 * * *",
        "leadrank.schedule.rescore": "*/5 * * * *",
    }  # no retention (turned off), no retraining (no label to learn)
    labelled = worker.worker_app(settings.model_copy(update={"retrain_label": "won within 30d"}))
    assert any(
        key[0] == "leadrank.schedule.retrain" for key in labelled.periodic_registry.periodic_tasks
    )


def test_a_worker_defers_the_scheduled_jobs_when_they_are_due(
    pg: Workspace, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "LEADRANK_DATABASE_URL": pg.url,
        "LEADRANK_DATA_DIR": str(tmp_path),
        "LEADRANK_SCHEDULE_RESCORE": "* * * * * *",  # every second
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "leadrank.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with session_scope(pg.engine) as session:
                done = session.scalars(
                    select(Job).where(Job.task == "score_leads", Job.status == "succeeded")
                ).all()
            if done:
                break
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "no scheduled rescoring ran"
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 0, stderr
    assert done[0].requested_by == "schedule rescore"


def test_a_worker_running_two_at_a_time_exits_only_once_the_follow_ups_ran(
    pg: Workspace, tmp_path: Path
) -> None:
    # Two slots: the second looks for a job while the import runs, finds none, and yet the
    # import's enrichment (and the enrichment's rescore) must run before the worker exits.
    queue_file(pg, tmp_path, b"email,name\nann@acme.com,Ann Lee\n", "a.csv")
    _work(pg, tmp_path, concurrency=2)
    with session_scope(pg.engine) as session:
        jobs = sorted((job.task, job.status) for job in session.scalars(select(Job)))
        assert claims.due_or_running(session) == []
    assert jobs == [
        ("enrich_leads", "succeeded"),
        ("import_file", "succeeded"),
        ("score_leads", "succeeded"),
    ]
