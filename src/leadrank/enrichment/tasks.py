"""The background task that enriches leads: it takes lead ids and field groups, and is safe
to run again (cached answers cost nothing the second time)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from leadrank.db.engine import session_scope
from leadrank.enrichment import service
from leadrank.enrichment.setup import enrich_with_settings
from leadrank.ingest import follow_up
from leadrank.jobs.tasks import Retry, Task, TaskContext


def _enrich(context: TaskContext) -> dict[str, Any]:
    engine = context.session.get_bind()
    assert isinstance(engine, Engine)  # sessions are bound to the workspace engine
    groups = service.parse_groups(context.arguments.get("groups"))
    refresh_days = context.arguments.get("refresh_days")
    ids = service.leads_to_enrich(
        engine,
        lead_ids=context.arguments.get("lead_ids") or (),
        refresh_after=None if refresh_days is None else timedelta(days=float(refresh_days)),
    )
    report = enrich_with_settings(
        engine,
        context.settings,
        lead_ids=ids,
        groups=groups,
        progress=lambda done, total: context.progress("enrich", done, total),
    )
    if context.arguments.get("then_score") and context.settings.auto_score:
        with session_scope(engine, writes=True) as session:
            follow_up.rescore(session, requested_by="enrichment")
    return {
        "leads": report.leads,
        "fields": dict(report.fields),
        "attempts": dict(report.attempts),
        "cost": report.cost,
        "unfinished": report.unfinished,
    }


# Vendors go down for minutes at a time; an enrichment run picks up where it stopped.
ENRICH_LEADS = Task(run=_enrich, own_transactions=True, retry=Retry(retries=5, exponential_wait=3))
