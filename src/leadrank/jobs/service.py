"""Jobs as rows: defer one in the caller's transaction, find, list, claim, finish, retry."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from leadrank.errors import Conflict, NotFound
from leadrank.jobs.tasks import TASKS, task_named
from leadrank.kit.pages import newest_first
from leadrank.orm import Job

STATUSES = ("queued", "running", "succeeded", "failed")
# A running job whose process has not said it is alive for this long is run again elsewhere.
STALE_AFTER = timedelta(minutes=2)

# Called after a transaction that deferred jobs commits, so this process's runner starts on
# them at once instead of at its next poll.
_after_commit: list[Callable[[], None]] = []


def on_deferred(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` whenever a transaction of this process that deferred a job commits;
    returns a function that stops it."""
    _after_commit.append(callback)
    return lambda: _after_commit.remove(callback)


def defer(
    session: Session,
    *,
    task: str,
    arguments: dict[str, Any],
    requested_by: str | None = None,
    lock: str | None = None,
    queueing_lock: str | None = None,
) -> Job:
    """Queue a job in the caller's transaction: it exists exactly when that transaction
    commits, together with the rows it refers to. Jobs sharing `lock` run one at a time; while
    a job with `queueing_lock` waits, deferring another returns the waiting one."""
    task_named(task)  # fail now, not in the runner, on a name no task has
    if queueing_lock is not None and (waiting := _queued_with(session, queueing_lock)):
        return waiting
    job = Job(
        task=task,
        arguments=arguments,
        status="queued",
        attempts=0,
        requested_by=requested_by,
        created_at=datetime.now(UTC),
        lock=lock,
        queueing_lock=queueing_lock,
    )
    try:
        with session.begin_nested():  # a savepoint: a lost race leaves the transaction usable
            session.add(job)
            session.flush()
            _hand_to_workers(session, job)
    except IntegrityError:
        if queueing_lock is None or (waiting := _queued_with(session, queueing_lock)) is None:
            raise
        return waiting  # deferred at the same moment by another transaction
    _wake_after_commit(session)
    return job


def _queued_with(session: Session, queueing_lock: str) -> Job | None:
    return session.scalar(
        select(Job).where(Job.queueing_lock == queueing_lock, Job.status == "queued")
    )


def _hand_to_workers(session: Session, job: Job) -> None:
    """On PostgreSQL, procrastinate's job for this row, in the same transaction: its workers
    run it; the in-process runner may take the row first, and then theirs finds it taken."""
    if session.get_bind().dialect.name != "postgresql":
        return
    from leadrank.jobs.queue import defer_on

    defer_on(session, job)


def _wake_after_commit(session: Session) -> None:
    """Once the session's transaction commits, tell this process's runners (once)."""
    if not event.contains(session, "after_commit", _wake):
        event.listen(session, "after_commit", _wake, once=True)


def _wake(_session: Session) -> None:
    for callback in list(_after_commit):
        callback()


def get_job(session: Session, job_id: int) -> Job:
    """One job, or 404."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job


def list_jobs(
    session: Session,
    *,
    status: str | None = None,
    task: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[Job]:
    """Jobs, newest first; `before` (a job id) pages back through older ones."""
    statement = select(Job)
    if status:
        statement = statement.where(Job.status == status)
    if task:
        statement = statement.where(Job.task == task)
    return list(session.scalars(newest_first(statement, Job.id, before=before, limit=limit)))


def retry_job(session: Session, job_id: int, *, requested_by: str | None = None) -> Job:
    """Queue a failed job again, with its arguments; any other job is left as it is (409)."""
    job = get_job(session, job_id)
    if job.status != "failed":
        raise Conflict(f"job {job_id} is {job.status}; only a failed job can be retried")
    job.status, job.error, job.result, job.progress = "queued", None, None, None
    job.started_at = job.finished_at = job.heartbeat_at = job.run_after = None
    job.worker = None
    job.attempts = 0  # a replay has its declared retries again
    if requested_by:
        job.requested_by = requested_by
    session.flush()
    _hand_to_workers(session, job)
    _wake_after_commit(session)
    return job


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
    """A failed attempt with retries left: queued again, due after its backoff."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status="queued",
            error=error,
            worker=None,
            run_after=datetime.now(UTC) + timedelta(seconds=wait_seconds),
        )
        .execution_options(synchronize_session=False)
    )


def recover_stale(session: Session, *, alive: Callable[[str], bool | None]) -> list[int]:
    """Queue again the running jobs whose process is gone: at once when `alive(worker)` knows
    it is dead (a process of this machine), else once its heartbeat is old."""
    limit = datetime.now(UTC) - STALE_AFTER
    running = session.scalars(select(Job).where(Job.status == "running")).all()
    recovered = []
    for job in running:
        state = alive(job.worker) if job.worker else False
        old = job.heartbeat_at is None or job.heartbeat_at < limit
        if state is False or (state is None and old):
            if job.queueing_lock is not None and _queued_with(session, job.queueing_lock):
                job.queueing_lock = None  # its twin waits already; both run, one at a time
            job.status, job.worker, job.progress = "queued", None, None
            session.flush()
            _hand_to_workers(session, job)
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


def known_tasks() -> list[str]:
    """Names of every task a job can run."""
    return sorted(TASKS)
