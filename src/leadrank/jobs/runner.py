"""The in-process job runner: the embedded default, and what `leadrank worker` runs.

One thread takes queued jobs one at a time, each in its own transaction, so a job's rows
and its result commit together. While a job runs, a second thread writes a heartbeat and the
latest progress every few seconds; a process that dies leaves a job whose worker is gone,
and the next runner to start (here or elsewhere) queues it again: nothing is lost.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.errors import AppError
from leadrank.jobs import service
from leadrank.jobs.tasks import TaskContext, task_named
from leadrank.orm import Job

log = structlog.get_logger("leadrank.jobs")
RECOVERY_SECONDS = 60.0


class JobRunner:
    """Runs this database's queued jobs in a background thread of this process."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        poll_seconds: float = 1.0,
        heartbeat_seconds: float = 5.0,
    ) -> None:
        self.engine, self.settings = engine, settings
        self.poll_seconds, self.heartbeat_seconds = poll_seconds, heartbeat_seconds
        self.worker = service.this_worker()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] = _nothing

    def start(self) -> None:
        """Recover jobs of dead processes, then run jobs in the background until `stop`."""
        self._unsubscribe = service.on_deferred(self._wake.set)
        self._thread = threading.Thread(target=self._loop, name="leadrank-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop taking jobs. A job still running after `timeout` is left to the process's
        end; its heartbeat stops, and it is queued again by the next runner."""
        self._unsubscribe()
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_until_idle(self) -> int:
        """Run queued jobs in this thread until none is left; how many ran."""
        self.recover()
        ran = 0
        while not self._stopping.is_set() and self.run_next():
            ran += 1
        return ran

    def recover(self) -> list[int]:
        """Queue again the jobs that dead processes left running."""
        with session_scope(self.engine, writes=True) as session:
            recovered = service.recover_stale(session, alive=_process_alive)
        if recovered:
            log.warning("jobs queued again after their process stopped", jobs=recovered)
        return recovered

    def run_next(self) -> bool:
        """Claim and run one queued job; False when there was none."""
        with session_scope(self.engine, writes=True) as session:
            job = service.claim_next(session, worker=self.worker)
            if job is None:
                return False
            session.expunge(job)
        self._run(job)
        return True

    def _loop(self) -> None:
        next_recovery = 0.0
        while not self._stopping.is_set():
            try:
                # Now and then, not only at start: a process elsewhere may have died meanwhile.
                if time.monotonic() >= next_recovery:
                    self.recover()
                    next_recovery = time.monotonic() + RECOVERY_SECONDS
                ran = self.run_next()
            except Exception:  # the database may be down for a while; the loop tries again
                log.exception("job runner could not reach the database")
                ran = False
            if not ran:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def _run(self, job: Job) -> None:
        progress: dict[str, Any] = {}
        beating = _Heartbeat(self.engine, job.id, progress, self.heartbeat_seconds)
        log.info("job started", job=job.id, task=job.task, attempt=job.attempts)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(stage=stage, done=done, total=total)

        beating.start()
        try:
            task = task_named(job.task)
            # A task that commits as it goes (calls out between its writes) runs in a session
            # that never writes, so on SQLite it holds no write lock its own transactions wait for.
            with session_scope(self.engine, writes=not task.own_transactions) as session:
                result = task.run(
                    TaskContext(session, dict(job.arguments), self.settings, progress=report)
                )
                if not task.own_transactions:
                    service.finish(session, job.id, result=result, progress=progress or None)
            if task.own_transactions:
                with session_scope(self.engine, writes=True) as session:
                    service.finish(session, job.id, result=result, progress=progress or None)
        except Exception as exc:
            error = exc.message if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, AppError):
                log.exception("job failed", job=job.id, task=job.task)
            self._fail(job, error)
        else:
            log.info("job succeeded", job=job.id, task=job.task)
        finally:
            beating.stop()

    def _fail(self, job: Job, error: str) -> None:
        with session_scope(self.engine, writes=True) as session:
            service.finish(session, job.id, error=error)
            try:
                task = task_named(job.task)
            except AppError:
                return
            if task.failed is not None:
                task.failed(session, dict(job.arguments), error)
        log.warning("job failed", job=job.id, task=job.task, error=error)


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
                    service.beat(session, self.job_id, dict(self.progress) or None)
            except Exception:
                # SQLite has one writer: while the job itself writes, a beat may wait its turn
                # out. The job is not stale for it: this machine can see the process is alive.
                log.debug("heartbeat skipped", job=self.job_id)


def _process_alive(worker: str) -> bool | None:
    """Whether the process host:pid is alive; None when it is on another machine."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _nothing() -> None:
    """A stand-in until the runner subscribes to deferred jobs."""
