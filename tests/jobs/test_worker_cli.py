"""`leadrank jobs` and `leadrank worker` as a user runs them, including a worker killed in the
middle of a job: the next worker runs it again, and nothing is lost or stored twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select, text

from leadrank.db.engine import session_scope
from leadrank.jobs.defer import defer
from leadrank.orm import BronzeRecord, Job, Lead, LeadScore
from tests.conftest import CliResult, Workspace
from tests.jobs.uploads import queue_file


def test_jobs_commands_and_a_worker_that_exits_when_idle(
    workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    data = tmp_path / "data"  # the workspace fixture points LEADRANK_DATA_DIR here
    good = queue_file(workspace, data, b"email,name\nann@acme.com,Ann Lee\n", "a.csv")
    bad = queue_file(workspace, data, b"\xff\xfe\x00broken", "b.parquet")
    listed = cli("jobs", "list")
    assert listed.exit_code == 0 and listed.stdout.count("queued") == 2
    ran = cli("worker", "--exit-when-idle")
    assert ran.exit_code == 0, ran.stderr
    # The good file's new lead was enriched and the workspace scored after it, in jobs the
    # import queued; the bad file's job failed without retries (bad input fails the same way).
    with session_scope(workspace.engine) as session:
        jobs = {(job.task, job.status) for job in session.scalars(select(Job))}
    assert jobs == {
        ("import_file", "succeeded"),
        ("import_file", "failed"),
        ("enrich_leads", "succeeded"),
        ("score_leads", "succeeded"),
    }
    assert "succeeded" in cli("jobs", "list", "--status", "succeeded").stdout
    shown = cli("jobs", "show", str(good))
    assert "import_file, succeeded" in shown.stdout and '"leads_created": 1' in shown.stdout
    failed = cli("jobs", "show", str(bad))
    assert "failed" in failed.stdout and "error: b.parquet" in failed.stdout
    retried = cli("jobs", "retry", str(bad))
    assert retried.exit_code == 0 and "queued again" in retried.stdout
    refused = cli("jobs", "retry", str(good))
    assert refused.exit_code == 1 and "only a failed job" in refused.stderr
    assert cli("jobs", "list", "--status", "lost").exit_code == 2
    assert cli("jobs", "show", "999").exit_code == 1


def test_a_cli_ingest_queues_enrichment_and_scoring_for_the_workers(
    workspace: Workspace,
    cli: Callable[..., CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only the jobs the ingests queue: a worker started just after a schedule's tick would
    # queue that tick's job too (the hourly rescore).
    for schedule in ("ENRICHMENT_REFRESH", "RESCORE", "RETRAIN", "RETENTION"):
        monkeypatch.setenv(f"LEADRANK_SCHEDULE_{schedule}", "")
    leads = tmp_path / "leads.csv"
    leads.write_text("email,name,title\nann@acme.com,Ann Lee,VP Sales\nbo@beta.io,Bo Li,CTO\n")
    first = cli("ingest", str(leads))
    assert first.exit_code == 0, first.stderr
    assert "queued job" in first.stdout and "(enrich_leads)" in first.stdout
    events = tmp_path / "events.csv"
    events.write_text("email,event_type,occurred_at\nann@acme.com,email_replied,2026-11-30\n")
    assert "(score_leads)" in cli("ingest", "events", str(events)).stdout
    assert "queued job" not in cli("ingest", "--dry-run", str(leads)).stdout
    ran = cli("worker", "--exit-when-idle")
    assert ran.exit_code == 0, ran.stderr
    with session_scope(workspace.engine) as session:
        jobs = sorted((job.task, job.status) for job in session.scalars(select(Job)))
        scored = session.scalar(select(func.count(func.distinct(LeadScore.lead_id))))
    # The enrichment's own rescore found the one the events queued still waiting, and joined it.
    assert jobs == [("enrich_leads", "succeeded"), ("score_leads", "succeeded")]
    assert scored == 2


def test_a_killed_worker_loses_nothing(workspace: Workspace, tmp_path: Path) -> None:
    rows = 60_000
    frame = pl.DataFrame(
        {
            "email": [f"person{i}@company{i % 5000}.com" for i in range(rows)],
            "job title": ["VP Sales", "Engineer", "Head of IT"] * (rows // 3),
        }
    )
    body = frame.write_csv().encode()
    job_id = queue_file(workspace, tmp_path / "data", body, "big.csv")
    env = {
        **os.environ,
        "LEADRANK_DATABASE_URL": workspace.url,
        # The import alone: 60,000 new leads would be enriched and scored after it.
        "LEADRANK_AUTO_ENRICH": "false",
        "LEADRANK_AUTO_SCORE": "false",
    }
    command = [sys.executable, "-m", "leadrank.cli", "worker"]
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while _status(workspace, job_id) != "running":
            assert time.monotonic() < deadline and worker.poll() is None, "the job did not start"
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)  # no goodbye: its transaction dies with it
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
    assert _status(workspace, job_id) == "running"  # as the dead worker left it
    second = subprocess.run(
        [*command, "--exit-when-idle"], env=env, capture_output=True, text=True, timeout=300
    )
    assert second.returncode == 0, second.stderr
    assert "queued again after their process stopped" in second.stdout + second.stderr
    with session_scope(workspace.engine) as session:
        job = session.get(Job, job_id)
        assert job is not None and (job.status, job.attempts) == ("succeeded", 2)
        assert session.scalar(select(func.count()).select_from(BronzeRecord)) == rows
        assert session.scalar(select(func.count()).select_from(Lead)) == rows


def _status(workspace: Workspace, job_id: int) -> str:
    with session_scope(workspace.engine) as session:
        return str(session.scalar(select(Job.status).where(Job.id == job_id)))


def test_a_worker_that_exits_when_idle_names_the_retries_left_for_later(
    workspace: Workspace, cli: Callable[..., CliResult]
) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    with session_scope(workspace.engine) as session:
        job = defer(session, task="purge_old_records", arguments={})
        job.run_after = later  # as a failed attempt waiting out its backoff leaves it
        if workspace.backend == "postgresql":  # and procrastinate's retry of it
            session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = :at"), {"at": later})
    ran = cli("worker", "--exit-when-idle")
    assert ran.exit_code == 0, ran.stderr
    assert "1 job(s) wait for a later retry" in ran.stderr
    assert f"{later:%Y-%m-%d %H:%M}" in ran.stderr
