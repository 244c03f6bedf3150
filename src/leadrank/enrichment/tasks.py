"""The background task that enriches leads: it takes lead ids and field groups, and is safe
to run again (cached answers cost nothing the second time)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from leadrank.enrichment import service
from leadrank.enrichment.setup import enrich_with_settings
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
    # New leads (then_score) await their first score even when nothing was found for them.
    report = enrich_with_settings(
        engine,
        context.settings,
        lead_ids=ids,
        groups=groups,
        progress=lambda done, total: context.progress("enrich", done, total),
        rescore="always" if context.arguments.get("then_score") else "changed",
    )
    return {
        "leads": report.leads,
        "fields": dict(report.fields),
        "attempts": dict(report.attempts),
        "cost": report.cost,
        "unfinished": report.unfinished,
        "changed": len(report.changed),
        "rescore_job": report.rescore_job,
    }


# Vendors go down for minutes at a time; an enrichment run picks up where it stopped.
ENRICH_LEADS = Task(run=_enrich, own_transactions=True, retry=Retry(retries=5, exponential_wait=3))
