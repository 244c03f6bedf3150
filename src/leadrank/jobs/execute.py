"""One claimed job run to its end, the same way by every runner (in-process or procrastinate).

The task runs in a transaction of its own, so its rows and the job's result commit together;
a heartbeat thread writes the job's progress every few seconds, so a stopped process's job is
seen and queued again. A failure with retries left queues the job again after its declared
backoff; bad input (an AppError) or the last retry fails it, and the task's `failed` hook
records that on its own rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.errors import AppError
from leadrank.jobs import claims
from leadrank.jobs.tasks import Task, TaskContext, task_named
from leadrank.orm import Job

log = structlog.get_logger("leadrank.jobs")
HEARTBEAT_SECONDS = 5.0


@dataclass(frozen=True)
class Outcome:
    """How an attempt ended: "succeeded", "retrying" (after `wait_seconds`) or "failed"."""

    status: str
    error: str | None = None
    wait_seconds: float | None = None


def execute(
    engine: Engine, settings: Settings, job: Job, *, heartbeat_seconds: float = HEARTBEAT_SECONDS
) -> Outcome:
    """Run `job`, claimed by this process, and record how it ended."""
    progress: dict[str, Any] = {}
    beating = _Heartbeat(engine, job.id, progress, heartbeat_seconds)
    log.info("job started", job=job.id, task=job.task, attempt=job.attempts)

    def report(stage: str, done: int, total: int) -> None:
        progress.update(stage=stage, done=done, total=total)

    beating.start()
    task: Task | None = None  # None: the job names no task this version knows
    try:
        task = task_named(job.task)
        # A task that commits as it goes (calls out between its writes) runs in a session
        # that never writes, so on SQLite it holds no write lock its own transactions wait for.
        with session_scope(engine, writes=not task.own_transactions) as session:
            result = task.run(TaskContext(session, dict(job.arguments), settings, progress=report))
            if not task.own_transactions:
                claims.finish(session, job.id, result=result, progress=progress or None)
        if task.own_transactions:
            with session_scope(engine, writes=True) as session:
                claims.finish(session, job.id, result=result, progress=progress or None)
    except Exception as exc:
        return _failed(engine, job, task, exc)
    finally:
        beating.stop()
    log.info("job succeeded", job=job.id, task=job.task)
    return Outcome("succeeded")


def _failed(engine: Engine, job: Job, task: Task | None, exc: Exception) -> Outcome:
    bad_input = isinstance(exc, AppError)
    error = exc.message if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
    if not bad_input:
        log.exception("job attempt failed", job=job.id, task=job.task, attempt=job.attempts)
    wait = None if bad_input or task is None else task.retry.wait_after(job.attempts)
    with session_scope(engine, writes=True) as session:
        if wait is not None:
            claims.queue_again(session, job.id, error=error, wait_seconds=wait)
        else:
            claims.finish(session, job.id, error=error)
            if task is not None and task.failed is not None:
                task.failed(session, dict(job.arguments), error)
    if wait is not None:
        log.warning("job queued again", job=job.id, task=job.task, seconds=wait, error=error)
        return Outcome("retrying", error, wait)
    log.warning("job failed", job=job.id, task=job.task, error=error)
    return Outcome("failed", error)


class _Heartbeat:
    """Writes a running job's heartbeat and progress every `seconds`, in its own transaction."""

    def __init__(self, engine: Engine, job_id: int, progress: dict[str, Any], seconds: float):
        self.engine, self.job_id, self.progress, self.seconds = engine, job_id, progress, seconds
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="leadrank-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._done.wait(self.seconds):
            try:
                with session_scope(self.engine) as session:
                    claims.beat(session, self.job_id, dict(self.progress) or None)
            except Exception:
                # SQLite has one writer: while the job itself writes, a beat may wait its turn
                # out. The job is not stale for it: this machine can see the process is alive.
                log.debug("heartbeat skipped", job=self.job_id)
