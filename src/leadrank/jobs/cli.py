"""`leadrank jobs list/show/retry/purge` and `leadrank worker`: thin commands over background
jobs."""

from __future__ import annotations

import json
import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from sqlalchemy import Engine

from leadrank.config import get_settings
from leadrank.db.engine import session_scope
from leadrank.db.workspace_db import open_workspace, workspace_session
from leadrank.jobs import claims, retention, service
from leadrank.jobs.runner import JobRunner
from leadrank.kit.console import NUMBER, Column, console, err_console, fitted_table

jobs_app = typer.Typer(
    help="Background jobs: imports, enrichment, scoring and training.", no_args_is_help=True
)


def say_queued(queued: dict[int, str]) -> None:
    """Tell the user which follow-up jobs (id: task) a command queued, and what runs them."""
    for job_id, task in queued.items():
        console.print(
            f"queued job {job_id} ({task}): a running `leadrank worker` or `leadrank serve`"
            " takes it; `leadrank worker --exit-when-idle` runs it now"
        )


@jobs_app.command("list")
def list_command(
    status: Annotated[
        str | None, typer.Option("--status", "-s", help="queued, running, succeeded or failed")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 20,
) -> None:
    """The newest jobs with their state; failed ones can be run again with `jobs retry`."""
    if status is not None and status not in service.STATUSES:
        raise typer.BadParameter(f"use one of {', '.join(service.STATUSES)}", param_hint="--status")
    with workspace_session() as session:
        jobs = service.list_jobs(session, status=status, limit=limit)
    columns = [
        Column("id", **NUMBER),
        Column("task", fixed=True),
        Column("status", fixed=True),
        Column("tries", **NUMBER),
        Column("created", fixed=True),
        Column("finished", fixed=True, drop=1),
        Column("error", share=1),
    ]
    rows = [
        [
            str(job.id),
            job.task,
            job.status,
            str(job.attempts),
            f"{job.created_at:%Y-%m-%d %H:%M:%S}",
            f"{job.finished_at:%Y-%m-%d %H:%M:%S}" if job.finished_at else "",
            " ".join((job.error or "").split()),
        ]
        for job in jobs
    ]
    console.print(fitted_table(columns, rows, width=console.width) if jobs else "no jobs")


@jobs_app.command("show")
def show_command(job_id: Annotated[int, typer.Argument(help="Job id")]) -> None:
    """One job: its arguments, progress, result or error."""
    with workspace_session() as session:
        job = service.get_job(session, job_id)
    console.print(f"job {job.id}: {job.task}, {job.status} after {job.attempts} attempt(s)")
    for name in ("arguments", "progress", "result"):
        value = getattr(job, name)
        if value:
            console.print(f"{name}: {json.dumps(value, default=str)}", markup=False)
    if job.error:
        console.print(f"error: {job.error}", markup=False)


@jobs_app.command("retry")
def retry_command(job_id: Annotated[int, typer.Argument(help="A failed job's id")]) -> None:
    """Queue a failed job again, with its retries; `leadrank serve` or `leadrank worker` runs
    it."""
    with workspace_session() as session:
        job = service.retry_job(session, job_id, requested_by="cli")
        task = job.task
    console.print(f"job {job_id} ({task}) queued again")


@jobs_app.command("purge")
def purge_command() -> None:
    """Purge now what the retention schedule purges: finished jobs, enrichment attempts and
    stale cache entries older than LEADRANK_RETENTION_DAYS, and score history older than
    LEADRANK_SCORE_HISTORY_DAYS or beyond LEADRANK_SCORE_HISTORY_PER_LEAD scores of a lead
    (its latest score always stays)."""
    settings = get_settings()
    with workspace_session(settings) as session:
        purged = retention.purge_as_configured(session, settings)
    console.print(
        f"purged {purged.lead_scores:,} lead scores, {purged.account_scores:,} account scores "
        f"and {purged.score_runs:,} emptied score runs; {purged.jobs:,} finished jobs, "
        f"{purged.enrichment_attempts:,} enrichment attempts, {purged.cache_entries:,} cache "
        f"entries, {purged.worker_jobs:,} worker jobs and {purged.outbox_messages:,} sent "
        "webhook and alert messages"
    )


def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, help="Jobs this process runs at once")
    ] = 1,
    exit_when_idle: Annotated[
        bool,
        typer.Option(
            "--exit-when-idle", help="Stop once no job is due or running (follow-ups included)"
        ),
    ] = False,
) -> None:
    """Run queued jobs (imports, enrichment, scoring, training) until interrupted.

    Any number of workers on any number of machines share the queue. On PostgreSQL,
    procrastinate runs them and the periodic schedules (enrichment refresh, rescoring,
    retraining, retention)."""
    settings = get_settings()
    with open_workspace(settings) as engine:
        if not settings.is_sqlite:
            from leadrank.jobs.worker import run_worker

            err_console.print(
                f"worker running jobs ({concurrency} at a time) with the schedules; "
                "Ctrl-C stops it once the jobs under way finish"
            )
            run_worker(engine, settings, concurrency=concurrency, exit_when_idle=exit_when_idle)
            if exit_when_idle:
                _say_later(engine)
            return
        runners = [JobRunner(engine, settings) for _ in range(concurrency)]
        if exit_when_idle:
            ran = runners[0].run_until_idle()
            err_console.print(f"{ran} job(s) run; none left due")
            _say_later(engine)
            return
        stopped = threading.Event()

        def stop(_signum: int, _frame: FrameType | None) -> None:
            stopped.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, stop)
        err_console.print("worker running jobs; Ctrl-C stops it after the job under way")
        for runner in runners:
            runner.start()
        stopped.wait()
        # The jobs under way finish first: a worker stopped for a deploy loses nothing.
        for runner in runners:
            runner.stop(timeout=None)


def _say_later(engine: Engine) -> None:
    """After `--exit-when-idle`: the jobs left waiting out a retry's backoff, if any."""
    with session_scope(engine) as session:
        count, first = claims.queued_for_later(session)
    if count:
        err_console.print(
            f"{count} job(s) wait for a later retry, the first at "
            f"{first:%Y-%m-%d %H:%M:%S} UTC: a running worker or `leadrank serve` takes them"
        )
