"""Deferring a job: a row of `jobs`, written in the caller's transaction, for a task named
by the domain that owns it (`jobs.tasks`).

On PostgreSQL the row is also handed to procrastinate's workers, on the same connection and in
the same transaction, so both exist or neither does. This side only writes: it imports no
runner, so a module that defers jobs does not load the workers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadrank.jobs.tasks import task_named
from leadrank.orm import Job

QUEUE = "leadrank"  # procrastinate's queue of leadrank's jobs
RUN_JOB = "leadrank.run_job"  # procrastinate's task that runs one row (jobs.worker)
QUEUEING_TRIES = 3  # a queueing lock's twin can be taken by a runner between two looks

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
    run_after: datetime | None = None,
) -> Job:
    """Queue a job in the caller's transaction: it exists exactly when that transaction
    commits, together with the rows it refers to. Jobs sharing `lock` run one at a time; while
    a job with `queueing_lock` waits, deferring another returns the waiting one (brought
    forward to `run_after`, or to now, when it waits for later). `run_after`: not before then."""
    task_named(task)  # fail now, not in the runner, on a name no task has
    for attempt in range(1, QUEUEING_TRIES + 1):
        if queueing_lock is not None and (waiting := queued_with(session, queueing_lock)):
            _bring_forward(session, waiting, run_after)
            return waiting
        job = Job(
            task=task,
            arguments=arguments,
            status="queued",
            attempts=0,
            requested_by=requested_by,
            created_at=datetime.now(UTC),
            run_after=run_after,
            lock=lock,
            queueing_lock=queueing_lock,
        )
        try:
            with session.begin_nested():  # a savepoint: a lost race leaves the transaction usable
                session.add(job)
                session.flush()
                hand_to_workers(session, job)
        except IntegrityError:
            if queueing_lock is None or attempt == QUEUEING_TRIES:
                raise
            # Deferred at the same moment by another transaction: that job is returned if it
            # still waits; if a runner took it meanwhile, the lock is free and this one goes in.
            continue
        wake_after_commit(session)
        return job
    raise AssertionError("the loop returns or raises")


def queued_with(session: Session, queueing_lock: str) -> Job | None:
    """The queued job holding `queueing_lock`, if one waits."""
    return session.scalar(
        select(Job).where(Job.queueing_lock == queueing_lock, Job.status == "queued")
    )


def hand_to_workers(session: Session, job: Job) -> None:
    """On PostgreSQL, procrastinate's job for this row, in the same transaction: its workers
    run it; the in-process runner may take the row first, and then theirs finds it taken."""
    if session.get_bind().dialect.name != "postgresql":
        return
    connection = session.connection().connection.driver_connection
    _deferring_app().configure_task(
        RUN_JOB, queue=QUEUE, connection=connection, lock=job.lock, schedule_at=job.run_after
    ).defer(job_id=job.id, task=job.task)


def _bring_forward(session: Session, job: Job, run_after: datetime | None) -> None:
    """A waiting job due later than asked is made due then: on PostgreSQL the workers get a
    second handle on the row for the earlier time (whichever comes first runs it, the other
    finds it taken)."""
    if job.run_after is None or (run_after is not None and job.run_after <= run_after):
        return
    job.run_after = run_after
    session.flush()
    hand_to_workers(session, job)
    wake_after_commit(session)


def wake_after_commit(session: Session) -> None:
    """Once the session's transaction commits, tell this process's runners (once)."""
    if not event.contains(session, "after_commit", _wake):
        event.listen(session, "after_commit", _wake, once=True)


_deferring: Any = None


def _deferring_app() -> Any:
    """The procrastinate app jobs are deferred through: it only ever uses the caller's
    connection, and defers by task name (the worker side registers the task)."""
    global _deferring
    if _deferring is None:
        from procrastinate import App, SyncPsycopgConnector  # loaded only on PostgreSQL

        _deferring = App(connector=SyncPsycopgConnector())
    return _deferring


def _wake(_session: Session) -> None:
    for callback in list(_after_commit):
        callback()
