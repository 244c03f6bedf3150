"""The runners' side of job rows: claim one, beat while it runs, finish it or queue it again
after its backoff, and queue again the jobs of processes that stopped."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from leadrank.errors import BadInput
from leadrank.jobs.defer import hand_to_workers, queued_with
from leadrank.jobs.tasks import task_named
from leadrank.orm import Job

log = structlog.get_logger("leadrank.jobs")
# A running job whose process has not said it is alive for this long is run again elsewhere.
STALE_AFTER = timedelta(minutes=2)
# Attempts a job gets at least, however few its task declares: a restart of `leadrank serve`
# stops the job under way, and that must not fail a job declared without retries.
INTERRUPTIONS_BORNE = 3


def this_worker() -> str:
    """host:pid of this process, as a job records who runs it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_next(session: Session, *, worker: str) -> Job | None:
    """Take the oldest queued job that is due and whose lock is free, or None; two processes
    never both get one, since the update only takes a row that is still queued."""
    while True:
        now = datetime.now(UTC)
        holder = aliased(Job)
        lock_held = exists().where(holder.status == "running", holder.lock == Job.lock)
        candidate = session.scalar(
            select(Job.id)
            .where(
                Job.status == "queued",
                or_(Job.run_after.is_(None), Job.run_after <= now),
                or_(Job.lock.is_(None), ~lock_held),
            )
            .order_by(Job.id)
            .limit(1)
        )
        if candidate is None:
            return None
        job = claim(session, candidate, worker=worker)
        if job is not None:
            return job


def claim(session: Session, job_id: int, *, worker: str) -> Job | None:
    """Take this job if it is still queued; None when another process has it or it is done."""
    now = datetime.now(UTC)
    taken = session.execute(
        update(Job)
        .where(and_(Job.id == job_id, Job.status == "queued"))
        .values(
            status="running",
            attempts=Job.attempts + 1,
            worker=worker,
            started_at=now,
            heartbeat_at=now,
            run_after=None,
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(Job, job_id, populate_existing=True)


def beat(session: Session, job_id: int, progress: dict[str, Any] | None) -> None:
    """Say the job is still being worked on, and how far it has got."""
    values: dict[str, Any] = {"heartbeat_at": datetime.now(UTC)}
    if progress is not None:
        values["progress"] = progress
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running")
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def finish(
    session: Session,
    job_id: int,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    progress: dict[str, Any] | None = None,
) -> None:
    """Record a job's end: its result, or the error that stopped it."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status="failed" if error is not None else "succeeded",
            result=result,
            error=error,
            finished_at=datetime.now(UTC),
            **({"progress": progress} if progress is not None else {}),
        )
        .execution_options(synchronize_session=False)
    )


def queue_again(session: Session, job_id: int, *, error: str, wait_seconds: float) -> None:
    """A failed attempt with retries left: queued again, due after its backoff. When a twin
    with its queueing lock already waits, it is queued without the lock (both run, one at a
    time) rather than left running."""
    values = {
        "status": "queued",
        "error": error,
        "worker": None,
        "run_after": datetime.now(UTC) + timedelta(seconds=wait_seconds),
    }
    statement = update(Job).where(Job.id == job_id).execution_options(synchronize_session=False)
    try:
        with session.begin_nested():  # a savepoint: the twin's unique lock leaves it usable
            session.execute(statement.values(**values))
    except IntegrityError:
        session.execute(statement.values(**values, queueing_lock=None))


def due_or_running(session: Session) -> list[tuple[Any, ...]]:
    """The jobs running or queued and due now, as (id, status, attempts, heartbeat): a worker
    waiting for them to end can tell whether anything moves."""
    now = datetime.now(UTC)
    waiting = or_(
        Job.status == "running",
        and_(Job.status == "queued", or_(Job.run_after.is_(None), Job.run_after <= now)),
    )
    rows = session.execute(
        select(Job.id, Job.status, Job.attempts, Job.heartbeat_at).where(waiting).order_by(Job.id)
    )
    return [tuple(row) for row in rows]


def queued_for_later(session: Session) -> tuple[int, datetime | None]:
    """How many queued jobs wait out a retry's backoff, and when the first of them is due."""
    now = datetime.now(UTC)
    count, first = session.execute(
        select(func.count(), func.min(Job.run_after)).where(
            Job.status == "queued", Job.run_after > now
        )
    ).one()
    return int(count), first


def recover_stale(session: Session, *, alive: Callable[[str], bool | None]) -> list[int]:
    """Queue again the running jobs whose process is gone: at once when `alive(worker)` knows
    it is dead (a process of this machine), else once its heartbeat is old. A job whose
    process stopped during the last attempt it may have (its task's, at least three) fails
    instead: a file that kills the process would otherwise kill every process that takes it,
    for ever."""
    limit = datetime.now(UTC) - STALE_AFTER
    running = session.scalars(select(Job).where(Job.status == "running")).all()
    recovered = []
    for job in running:
        state = alive(job.worker) if job.worker else False
        old = job.heartbeat_at is None or job.heartbeat_at < limit
        if state is False or (state is None and old):
            if job.attempts >= _allowed_attempts(job.task):
                _fail_stopped(session, job)
                continue
            if job.queueing_lock is not None and queued_with(session, job.queueing_lock):
                job.queueing_lock = None  # its twin waits already; both run, one at a time
            job.status, job.worker, job.progress = "queued", None, None
            session.flush()
            hand_to_workers(session, job)
            recovered.append(job.id)
    return recovered


def process_alive(worker: str) -> bool | None:
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


def _allowed_attempts(task_name: str) -> int:
    """Attempts a job may have: its task's declared ones, and never fewer than
    INTERRUPTIONS_BORNE, so a job declared without retries (training) outlives a restart."""
    try:
        declared = task_named(task_name).retry.retries + 1
    except BadInput:  # a task this version does not know: one more attempt fails it clearly
        return 1_000_000
    return max(declared, INTERRUPTIONS_BORNE)


def _fail_stopped(session: Session, job: Job) -> None:
    error = (
        f"its process stopped during its attempt {job.attempts}, the last it may have (on "
        f"{job.worker}); it is not run again: `leadrank jobs retry {job.id}` queues it"
    )
    finish(session, job.id, error=error)
    log.error("job failed: its process stopped in its last attempt", job=job.id, task=job.task)
    task = task_named(job.task)
    if task.failed is not None:
        task.failed(session, dict(job.arguments), error)
