"""The in-process job runner: the embedded default, and what `leadrank worker` runs.

One thread takes due queued jobs one at a time and runs each (`execute`); a process that
dies leaves a job whose worker is gone, and the next runner to start (here or elsewhere)
queues it again: nothing is lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog
from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.jobs import claims
from leadrank.jobs.defer import on_deferred
from leadrank.jobs.execute import HEARTBEAT_SECONDS, execute
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
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.engine, self.settings = engine, settings
        self.poll_seconds, self.heartbeat_seconds = poll_seconds, heartbeat_seconds
        self.worker = claims.this_worker()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] = _nothing

    def start(self) -> None:
        """Recover jobs of dead processes, then run jobs in the background until `stop`."""
        self._unsubscribe = on_deferred(self._wake.set)
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
            recovered = claims.recover_stale(session, alive=claims.process_alive)
        if recovered:
            log.warning("jobs queued again after their process stopped", jobs=recovered)
        return recovered

    def run_next(self) -> bool:
        """Claim and run one queued job; False when there was none."""
        with session_scope(self.engine, writes=True) as session:
            job = claims.claim_next(session, worker=self.worker)
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
        execute(self.engine, self.settings, job, heartbeat_seconds=self.heartbeat_seconds)


def _nothing() -> None:
    """A stand-in until the runner subscribes to deferred jobs."""
