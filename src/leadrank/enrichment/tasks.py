"""The background task that enriches leads: it takes lead ids and field groups, and is safe
to run again (cached answers cost nothing the second time)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from leadrank.enrichment import service
from leadrank.enrichment.providers.registry import http_client
from leadrank.enrichment.setup import build_waterfall
from leadrank.jobs.tasks import Task, TaskContext


def _enrich(context: TaskContext) -> dict[str, Any]:
    engine = context.session.get_bind()
    assert isinstance(engine, Engine)  # sessions are bound to the workspace engine
    settings = context.settings
    groups = service.parse_groups(context.arguments.get("groups"))
    ids = service.leads_to_enrich(engine, lead_ids=context.arguments.get("lead_ids") or ())
    with http_client() as client:
        report = service.enrich_leads(
            engine,
            build_waterfall(engine, settings, client),
            lead_ids=ids,
            groups=groups,
            precedence=settings.enrichment_precedence,
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
