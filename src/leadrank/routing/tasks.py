"""The background task that routes leads to owners: `{"lead_ids": [...]}` routes those, no
arguments every lead without an owner, `{"everyone": true}` every lead."""

from __future__ import annotations

from typing import Any

from leadrank.errors import BadInput
from leadrank.jobs.tasks import Retry, Task, TaskContext
from leadrank.scoring.tasks import queue_crm_push


def _route_leads(context: TaskContext) -> dict[str, Any]:
    from leadrank.routing.service import route

    arguments = context.arguments
    lead_ids = arguments.get("lead_ids")
    if lead_ids is not None and (
        not isinstance(lead_ids, list)
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in lead_ids)
    ):
        raise BadInput("lead_ids is a list of lead ids")
    context.progress("route", 0, 1)
    report = route(context.session, lead_ids=lead_ids, everyone=bool(arguments.get("everyone")))
    if arguments.get("then_push") or report.assigned or report.rerouted:
        # New scores (or owners) go to the CRMs after routing, so the push carries both.
        queue_crm_push(context.session, context.settings, requested_by="after routing")
    context.progress("route", 1, 1)
    return {
        "version": report.version,
        "considered": report.considered,
        "assigned": report.assigned,
        "rerouted": report.rerouted,
        "kept": report.kept,
        "rules": report.rules,
        "unassigned": report.unassigned,
        "passed_over": report.passed_over,
        "seconds": round(report.seconds, 3),
    }


# The job's transaction: the owners, the teams' turns, the events and the job's result commit
# together; run again after a crash, it routes the leads still without an owner.
ROUTE_LEADS = Task(run=_route_leads, retry=Retry(retries=2))
