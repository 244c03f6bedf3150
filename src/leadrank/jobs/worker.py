"""PostgreSQL workers: procrastinate runs leadrank's jobs (the consumer side; `jobs.defer`
is the producer).

Every job is a row of `jobs` (what `leadrank jobs` and `/api/v1/jobs` show) and, on
PostgreSQL, a procrastinate job deferred on the same connection in the same transaction: both
exist or neither does. A worker (`leadrank worker`) takes procrastinate's job, claims the row
and runs it as every runner does (`execute`); a row someone else claimed first is left alone,
so a job never runs twice however many workers and API processes share the database.

procrastinate brings what a fleet of workers needs: LISTEN/NOTIFY instead of polling, locks
(jobs sharing one run one at a time), retries at the time the task's declaration sets
(`DeclaredRetry`), periodic schedules (enrichment refresh, rescoring, retraining, retention),
worker heartbeats, and a graceful stop on SIGINT/SIGTERM: the jobs under way finish first.
A worker that was killed leaves its row running; `recover_jobs`, at every worker's start and
each minute after, queues such rows again and gives them to the workers.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import structlog
from procrastinate import App, JobContext, PsycopgConnector, sql
from procrastinate.jobs import Job as WorkerJob
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.jobs import claims
from leadrank.jobs.defer import QUEUE, RUN_JOB, defer
from leadrank.jobs.execute import Outcome, execute

log = structlog.get_logger("leadrank.jobs")
RECOVER = "leadrank.recover_jobs"
# A worker that has not said it is alive for this long is taken for dead (procrastinate's
# heartbeat comes every 10 s).
STALLED_SECONDS = 30.0
FINISHED = ["succeeded", "failed", "cancelled", "aborted"]
IDLE_LOOK_SECONDS = 0.5  # `--exit-when-idle`: how often it looks again while jobs run elsewhere
# ... and how long nothing may move (no job starts, ends or beats) before it stops anyway: a
# running job beats every few seconds, so only jobs no worker can take stay this still.
STILL_SECONDS = 60.0


class AttemptFailed(Exception):
    """A job's attempt did not succeed; its row already says whether it will be retried."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


class DeclaredRetry(BaseRetryStrategy):
    """procrastinate retries a job when, and as late as, the task's `Retry` decided."""

    def get_retry_decision(
        self, *, exception: BaseException, job: WorkerJob
    ) -> RetryDecision | None:
        if isinstance(exception, AttemptFailed) and exception.outcome.wait_seconds is not None:
            return RetryDecision(retry_in={"seconds": math.ceil(exception.outcome.wait_seconds)})
        return None


def purge_finished(session: Session, *, hours: int) -> int:
    """Delete procrastinate's jobs finished more than `hours` ago; how many went."""
    connection: Any = session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        cursor.execute(
            sql.queries["delete_old_jobs"],
            {"nb_hours": hours, "queue": None, "statuses": FINISHED},
        )
        return int(cursor.rowcount)


def run_worker(
    engine: Engine,
    settings: Settings,
    *,
    concurrency: int = 1,
    exit_when_idle: bool = False,
    schedules: bool = True,
) -> None:
    """Run jobs until SIGINT/SIGTERM (or, with `exit_when_idle`, until no job is due or
    running)."""
    app = worker_app(settings, concurrency=concurrency, schedules=schedules)
    options: dict[str, Any] = {
        "queues": [QUEUE],
        "concurrency": concurrency,
        "name": claims.this_worker(),
        "additional_context": {"engine": engine, "settings": settings},
        "update_heartbeat_interval": STALLED_SECONDS / 3,
        "stalled_worker_timeout": STALLED_SECONDS,
    }
    _recover_and_say(engine)
    if not exit_when_idle:
        app.run_worker(wait=True, **options)
        return
    # procrastinate's `wait=False` stops at the first look that finds nothing, even while a
    # job it runs is about to queue its follow-up (an import's rescore): with two at a time,
    # the second slot looks while the first job runs. So it runs again until nothing is left.
    seen: list[tuple[Any, ...]] = []
    moved = time.monotonic()
    while True:
        app.run_worker(wait=False, **options)
        with session_scope(engine) as session:
            waiting = claims.due_or_running(session)
        if not waiting:
            return
        if waiting != seen:  # a job started, ended or beat: work goes on somewhere
            seen, moved = waiting, time.monotonic()
        elif time.monotonic() - moved > STILL_SECONDS:
            log.warning(
                "stopping with jobs this worker cannot run now",
                jobs=[row[0] for row in waiting],
                seconds=STILL_SECONDS,
            )
            return
        time.sleep(IDLE_LOOK_SECONDS)  # a job runs elsewhere, or holds a lock the next needs
        _recover_and_say(engine)


def worker_app(settings: Settings, *, concurrency: int = 1, schedules: bool = True) -> App:
    """A procrastinate app on its own connection pool, with leadrank's tasks and schedules."""
    app = App(
        connector=PsycopgConnector(
            conninfo=conninfo(settings.database_url), min_size=1, max_size=concurrency + 2
        )
    )
    _register(app)
    if schedules:
        _schedule(app, settings)
    return app


def conninfo(database_url: str) -> str:
    """The libpq URL of a SQLAlchemy PostgreSQL URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _recover_and_say(engine: Engine) -> None:
    recovered = recover(engine)
    if recovered:
        log.warning("jobs queued again after their process stopped", jobs=recovered)


def recover(engine: Engine) -> list[int]:
    """Queue again, for the workers, the rows whose process stopped while running them."""
    with session_scope(engine, writes=True) as session:
        return claims.recover_stale(session, alive=claims.process_alive)


def _register(app: App) -> None:
    app.task(name=RUN_JOB, queue=QUEUE, retry=DeclaredRetry(), pass_context=True)(_run_job)


def _run_job(context: JobContext, job_id: int, task: str) -> None:
    """procrastinate's task: run row `job_id`, unless another runner has it or it is done."""
    engine, settings = _workspace(context)
    with session_scope(engine, writes=True) as session:
        job = claims.claim(session, job_id, worker=claims.this_worker())
        if job is None:
            log.info("job already taken", job=job_id, task=task)
            return
        session.expunge(job)
    outcome = execute(engine, settings, job)
    if outcome.status != "succeeded":
        raise AttemptFailed(outcome)


def _schedule(app: App, settings: Settings) -> None:
    """The periodic work: each tick defers a leadrank job, shown in `leadrank jobs list`."""
    app.periodic(cron="* * * * *", periodic_id="recover")(
        app.task(name=RECOVER, queue=QUEUE, queueing_lock=RECOVER, pass_context=True)(_recover_jobs)
    )
    refresh_days = settings.enrichment_ttl_days.get("company", 90.0)
    scheduled: list[tuple[str, str, str, dict[str, Any]]] = [
        ("enrichment_refresh", settings.schedule_enrichment_refresh, "enrich_leads",
         {"refresh_days": refresh_days}),
        ("rescore", settings.schedule_rescore, "score_leads", {}),
        ("retention", settings.schedule_retention, "purge_old_records", {}),
    ]  # fmt: skip
    if settings.configured_crms:
        scheduled.append(
            (
                "crm_sync",
                settings.schedule_crm_sync,
                "crm_sync",
                {"vendor": "all", "direction": "sync"},
            )
        )
    if settings.retrain_label:
        scheduled.append(
            ("retrain", settings.schedule_retrain, "train_model", {"label": settings.retrain_label})
        )
    for name, cron, task, arguments in scheduled:
        if not cron.strip():
            continue
        app.periodic(cron=cron, periodic_id=name)(
            app.task(name=f"leadrank.schedule.{name}", queue=QUEUE, pass_context=True)(
                _scheduled(name, task, arguments)
            )
        )


def _scheduled(name: str, task: str, arguments: dict[str, Any]) -> Any:
    def defer_scheduled(context: JobContext, timestamp: int) -> None:
        engine, _ = _workspace(context)
        lock = f"schedule:{name}"
        with session_scope(engine, writes=True) as session:
            job = defer(
                session,
                task=task,
                arguments=arguments,
                requested_by=f"schedule {name}",
                lock=lock,
                queueing_lock=lock,
            )
        log.info("scheduled job deferred", schedule=name, job=job.id)

    return defer_scheduled


async def _recover_jobs(context: JobContext, timestamp: int) -> None:
    """Rows of stopped processes queued again; procrastinate's stalled jobs retried (each
    finds its row taken, or takes it)."""
    engine, _ = _workspace(context)
    await asyncio.to_thread(_recover_and_say, engine)
    assert context.app is not None
    manager = context.app.job_manager
    for stalled in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_SECONDS):
        await manager.retry_job(stalled)


def _workspace(context: JobContext) -> tuple[Engine, Settings]:
    extra = context.additional_context
    return extra["engine"], extra["settings"]
