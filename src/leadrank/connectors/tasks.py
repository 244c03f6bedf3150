"""The connectors' background task: a CRM pull, push or sync (`connectors.crm.run`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from leadrank.jobs.tasks import Retry, Task, TaskContext

CRM_SYNC = "crm_sync"
# Every CRM job holds the lock the workers' schedule gives its sync: one runs at a time.
CRM_LOCK = "schedule:crm_sync"


class VendorUnavailable(Exception):
    """The vendor failed in a way that trying later may fix: the job is retried."""


def _crm_sync(context: TaskContext) -> dict[str, Any]:
    from leadrank.connectors import crm
    from leadrank.connectors.vendor_error import VendorError

    engine = context.session.get_bind()
    assert isinstance(engine, Engine)  # sessions are bound to the workspace engine
    arguments = context.arguments
    since = datetime.fromisoformat(arguments["since"]) if arguments.get("since") else None
    try:
        return crm.run(
            engine,
            context.settings,
            vendor=str(arguments.get("vendor", "all")),
            direction=str(arguments.get("direction", "sync")),
            since=since,
            progress=context.progress,
            requested_by=f"job {arguments.get('vendor', 'all')} {arguments.get('direction', 'sync')}",
        )
    except VendorError as exc:
        if exc.retriable:  # rate limits that outlast the retries, outages: later may work
            raise VendorUnavailable(str(exc)) from exc
        raise


# Its own transactions (a batch each): nothing is held while a vendor answers, and a run
# stopped half-way resumes where its records were committed.
CRM_SYNC_TASK = Task(
    run=_crm_sync, own_transactions=True, retry=Retry(retries=4, exponential_wait=4)
)
