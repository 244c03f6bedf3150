"""The outlets' background tasks: sending what the outbox holds, and composing alerts."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Engine

from leadrank.db.engine import session_scope
from leadrank.jobs.tasks import Retry, Task, TaskContext

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def _deliver(context: TaskContext) -> dict[str, Any]:
    from leadrank.outlets.sender import send_due
    from leadrank.outlets.urls import sending_client

    engine = context.session.get_bind()
    assert isinstance(engine, Engine)  # sessions are bound to the workspace engine
    allow = context.settings.webhook_allow_private_urls
    with sending_client(allow_private=allow, timeout=TIMEOUT) as http:
        report = send_due(engine, context.settings, http)
    return {
        "delivered": report.delivered,
        "failed": report.failed,
        "dead": report.dead,
        **({"next_due": report.next_due.isoformat()} if report.next_due else {}),
    }


def _send_alerts(context: TaskContext) -> dict[str, Any]:
    from leadrank.outlets.alert_sending import send_alerts

    engine = context.session.get_bind()
    assert isinstance(engine, Engine)
    with session_scope(engine, writes=True) as session:
        report = send_alerts(session, context.settings)
    return {"messages": report.messages, "leads": report.leads, "held": report.held}


# Its own transactions: one per attempt's outcome, none open while a receiver answers; run
# again after a crash, it sends what is still pending (at least once).
DELIVER_OUTBOX = Task(run=_deliver, own_transactions=True, retry=Retry(retries=3))
SEND_ALERTS = Task(run=_send_alerts, own_transactions=True, retry=Retry(retries=3))
