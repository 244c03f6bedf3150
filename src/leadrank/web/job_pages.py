"""`/jobs` and `/providers`: what runs in the background and how the enrichment providers
are doing.

`/jobs` lists jobs by status, newest first, a page at a time, with a count for each status; an
admin can run a failed job again (the API's retry, with the same role). While any job is
queued or running the list asks for itself again every few seconds (htmx), so progress shows
without a reload. `/providers` shows each enrichment provider in waterfall order: its breaker,
rate, calls, failures and today's credits against its budget (`enrichment.health`, as the API
and `leadrank enrich providers` show it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from leadrank.deps import NO_NUL, DbSession
from leadrank.enrichment.health import RATE_SECONDS, provider_health
from leadrank.errors import BadInput
from leadrank.jobs import service
from leadrank.kit.pages import next_before
from leadrank.orm import Job
from leadrank.web.deps import WebAdmin, WebReader
from leadrank.web.errors import WebRoute
from leadrank.web.responses import go_to, render, render_view

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50
REFRESH_SECONDS = 5
ACTIVE = ("queued", "running")
RETRIABLE = ("failed",)  # what `jobs.service.retry_job` accepts
JobId = Annotated[int, PathParam(ge=1, le=2**62)]

# What each task does, in the words of the people who use the app.
TASK_LABELS = {
    "import_file": "Import a file",
    "enrich_leads": "Enrich leads",
    "score_leads": "Score leads",
    "train_model": "Train a model",
    "purge_old_records": "Purge old records",
    "deliver_outbox": "Send webhooks and alerts",
    "send_alerts": "Compose alerts",
    "route_leads": "Assign owners",
    "crm_sync": "Sync with the CRM",
}
# A job's status as a pill; an import's status is its job's, "done" when it succeeded.
STATUS_PILLS = {
    "queued": "pill",
    "running": "pill-info",
    "succeeded": "pill-ok",
    "done": "pill-ok",
    "failed": "pill-danger",
}
BREAKER_PILLS = {"closed": "pill-ok", "half_open": "pill-warn", "open": "pill-danger"}
PROVIDER_NAMES = {
    "builtin": "Built-in rules",
    "apollo": "Apollo",
    "hunter": "Hunter",
    "pdl": "People Data Labs",
    "clearbit": "Clearbit",
}


def _jobs_query(status: str | None, task: str | None, before: int | None = None) -> str:
    """The /jobs query string for these choices (empty ones left out)."""
    pairs = {"status": status, "task": task, "before": before}
    return urlencode({name: value for name, value in pairs.items() if value})


def _short_error(error: str | None, length: int = 100) -> str:
    """The first line of an error, cut to `length` characters."""
    if not error:
        return ""
    line = error.strip().splitlines()[0] if error.strip() else ""
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


def _rate_text(calls: int | None, seconds: float | None) -> str:
    """A rate limit in words: "50 calls a minute", "5 calls a second", "10 calls in 30 s"."""
    if calls is None or seconds is None:
        return "no limit"
    unit = {1.0: "a second", 60.0: "a minute", 3_600.0: "an hour"}.get(seconds)
    noun = "call" if calls == 1 else "calls"
    return f"{calls:,} {noun} {unit}" if unit else f"{calls:,} {noun} in {seconds:g} s"


def _link_of(job: Job) -> tuple[str, str] | None:
    """A page the job is about, as (href, text), when there is one."""
    import_id = job.arguments.get("import_id") if job.task == "import_file" else None
    if isinstance(import_id, int):
        return f"/imports/{import_id}", f"import {import_id}"
    return None


def _progress_of(job: Job) -> tuple[int, int, str] | None:
    """A running job's (done, total, stage), when it reports one."""
    progress = job.progress or {}
    done, total = progress.get("done"), progress.get("total")
    if job.status != "running" or not isinstance(done, int) or not isinstance(total, int):
        return None
    return done, max(total, 1), str(progress.get("stage") or "")


@router.get("/jobs")
def jobs_page(
    request: Request,
    session: DbSession,
    user: WebReader,
    status: Annotated[str | None, Query(max_length=20, pattern=NO_NUL)] = None,
    task: Annotated[str | None, Query(max_length=50, pattern=NO_NUL)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    retried: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """Jobs by status, newest first (for htmx, just the list, which refreshes itself)."""
    status, task = status or None, task or None
    if status is not None and status not in service.STATUSES:
        raise BadInput(f"status is one of {', '.join(service.STATUSES)}")
    tasks = service.known_tasks()
    if task is not None and task not in tasks:
        raise BadInput(f"unknown task {task!r}")
    jobs = service.list_jobs(session, status=status, task=task, before=before, limit=PAGE_SIZE)
    counts = service.count_jobs(session, task=task)
    older = next_before([job.id for job in jobs], PAGE_SIZE)
    context: dict[str, Any] = {
        "jobs": jobs,
        "counts": counts,
        "total": sum(counts.values()),
        "statuses": service.STATUSES,
        "status": status,
        "task": task,
        "tasks": tasks,
        "task_labels": TASK_LABELS,
        "status_pills": STATUS_PILLS,
        "retriable": RETRIABLE,
        "first_page": before is None,
        "query": _jobs_query(status, task, before),
        "first_query": _jobs_query(status, task),
        "older_query": _jobs_query(status, task, older) if older else None,
        "tab_query": lambda s: _jobs_query(s, task),
        "refresh": any(counts[s] for s in ACTIVE),
        "refresh_seconds": REFRESH_SECONDS,
        "can_retry": user.role == "admin",
        "short_error": _short_error,
        "link_of": _link_of,
        "progress_of": _progress_of,
        "retried": retried,
        "now": datetime.now(UTC),
    }
    return render_view(request, "jobs/jobs.html", "jobs/_jobs.html", context)


@router.post("/jobs/{job_id}/retry")
def retry(
    request: Request,
    session: DbSession,
    user: WebAdmin,
    job_id: JobId,
    back: Annotated[str, Form(max_length=500, pattern=NO_NUL)] = "",
) -> Response:
    """Queue a failed job again with its arguments (as the API's retry, an admin's to do)."""
    service.retry_job(session, job_id, requested_by=user.principal.prefix)
    shown = parse_qs(back)  # the list the button was on: back to it, with a notice
    status = next(iter(shown.get("status", [])), None)
    task = next(iter(shown.get("task", [])), None)
    query = _jobs_query(
        status if status in service.STATUSES else None,
        task if task in service.known_tasks() else None,
    )
    return go_to(f"/jobs?{query}{'&' if query else ''}retried={job_id}", request=request)


@router.get("/providers")
def providers_page(request: Request, session: DbSession, user: WebReader) -> Response:
    """Each enrichment provider in waterfall order: breaker, rate, calls, failures, credits."""
    settings = request.app.state.settings
    providers = provider_health(session, settings=settings)
    return render(
        request,
        "jobs/providers.html",
        {
            "providers": providers,
            "breaker_pills": BREAKER_PILLS,
            "names": PROVIDER_NAMES,
            "rate_text": _rate_text,
            "window_seconds": RATE_SECONDS,
            "short_error": _short_error,
            "now": datetime.now(UTC),
        },
    )
