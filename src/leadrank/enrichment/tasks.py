"""The background task that enriches leads: it takes lead ids and field groups, and is safe
to run again (cached answers cost nothing the second time)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from leadrank.enrichment import service
from leadrank.enrichment.setup import enrich_with_settings
from leadrank.jobs.tasks import Task, TaskContext


def _enrich(context: TaskContext) -> dict[str, Any]:
    engine = context.session.get_bind()
    assert isinstance(engine, Engine)  # sessions are bound to the workspace engine
    groups = service.parse_groups(context.arguments.get("groups"))
    ids = service.leads_to_enrich(engine, lead_ids=context.arguments.get("lead_ids") or ())
    report = enrich_with_settings(
        engine,
        context.settings,
        lead_ids=ids,
        groups=groups,
        progress=lambda done, total: context.progress("enrich", done, total),
    )
    return {
        "leads": report.leads,
        "fields": dict(report.fields),
        "attempts": dict(report.attempts),
        "cost": report.cost,
        "unfinished": report.unfinished,
    }


ENRICH_LEADS = Task(run=_enrich, own_transactions=True)
