"""`/leads/{id}`: one lead in full (its score and why, its history, every field with where it
came from, its events, merges and possible duplicates), and what a writer can do to it: give
it a grade by hand (and clear that), undo a merge, enrich it now, rescore it. Each action is a
form that comes back to the lead with a notice; a job it queues is followed on the page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from leadrank.deps import WRITER_ROLES, DbSession
from leadrank.errors import NotFound
from leadrank.ingest.follow_up import rescore_changed
from leadrank.jobs.defer import defer
from leadrank.jobs.service import get_job
from leadrank.leads import reviews, service
from leadrank.leads.grade_overrides import clear_override, set_override
from leadrank.orm import Job
from leadrank.orm.base import LARGEST_ID
from leadrank.web.deps import WebReader, WebWriter
from leadrank.web.errors import WebRoute
from leadrank.web.lead_view import lead_page
from leadrank.web.responses import go_to, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
LeadId = Annotated[int, Path(ge=1, le=LARGEST_ID)]
Done = Literal["graded", "cleared", "unmerged", "enrich", "rescore"]
# The jobs a lead page queues, and so may follow.
FOLLOWED_TASKS = ("enrich_leads", "score_leads")
FINISHED = ("succeeded", "failed", "dead", "cancelled")


@router.get("/leads/{lead_id}")
def lead_detail(
    request: Request,
    session: DbSession,
    user: WebReader,
    lead_id: LeadId,
    done: Done | None = None,
    job: Annotated[int | None, Query(ge=1, le=LARGEST_ID)] = None,
    restored: Annotated[int | None, Query(ge=1, le=LARGEST_ID)] = None,
) -> Response:
    """One lead in full, with the notice of what an action just did."""
    content = lead_page(session, lead_id=lead_id, scale=request.app.state.settings.grade_thresholds)
    followed = _followed(session, job) if job is not None else None
    context = {
        "page": content,
        "lead": content.lead,
        "lead_id": content.lead.id,
        "done": done,
        "job": followed,
        "restored": restored,
        "can_write": user.role in WRITER_ROLES,
        "now": datetime.now(UTC),
    }
    return render(request, "lead/detail.html", context)


@router.get("/leads/{lead_id}/jobs/{job_id}")
def job_status(
    request: Request,
    session: DbSession,
    user: WebReader,
    lead_id: LeadId,
    job_id: Annotated[int, Path(ge=1, le=LARGEST_ID)],
) -> Response:
    """A job the page queued, as a status that asks again each second until the job ends;
    when it has just succeeded, the page reloads to show what it did."""
    followed = _followed(session, job_id)
    response = render(request, "lead/_job.html", {"job": followed, "lead_id": lead_id})
    if followed.status == "succeeded" and request.headers.get("hx-request") == "true":
        response.headers["HX-Refresh"] = "true"
    return response


def _followed(session: Session, job_id: int) -> Job:
    job = get_job(session, job_id)
    if job.task not in FOLLOWED_TASKS:
        raise NotFound(f"no job {job_id} of a lead")
    return job


@router.post("/leads/{lead_id}/grade")
def override_grade(
    request: Request,
    session: DbSession,
    user: WebWriter,
    lead_id: LeadId,
    grade: Annotated[str, Form(max_length=1)],
    reason: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    """Give the lead a grade by hand, with why; it is served until cleared."""
    set_override(session, lead_id=lead_id, grade=grade, reason=reason, by=user.email)
    return go_to(f"/leads/{lead_id}?done=graded", request=request)


@router.post("/leads/{lead_id}/grade/clear")
def clear_grade(request: Request, session: DbSession, user: WebWriter, lead_id: LeadId) -> Response:
    """Serve the computed grade again."""
    clear_override(session, lead_id=lead_id, by=user.email)
    return go_to(f"/leads/{lead_id}?done=cleared", request=request)


@router.post("/leads/{lead_id}/unmerge")
def unmerge(
    request: Request,
    session: DbSession,
    user: WebWriter,
    lead_id: LeadId,
    merge_id: Annotated[int, Form(ge=1, le=LARGEST_ID)],
) -> Response:
    """Undo a merge into this lead: the merged lead comes back with its records and events,
    and the two are never merged again."""
    back = reviews.undo_merge(
        session, lead_id=lead_id, merge_id=merge_id, by=user.email, now=datetime.now(UTC)
    )
    return go_to(f"/leads/{lead_id}?done=unmerged&restored={back.id}", request=request)


@router.post("/leads/{lead_id}/enrich")
def enrich_now(request: Request, session: DbSession, user: WebWriter, lead_id: LeadId) -> Response:
    """Queue the enrichment of this lead through the workspace's providers (a rescore
    follows when it changes anything)."""
    lead = service.get_lead(session, ref=str(lead_id)).lead
    job = defer(
        session,
        task="enrich_leads",
        arguments={"lead_ids": [lead.id], "groups": []},
        requested_by=user.principal.prefix,
    )
    return go_to(f"/leads/{lead.id}?done=enrich&job={job.id}", request=request)


@router.post("/leads/{lead_id}/rescore")
def rescore(request: Request, session: DbSession, user: WebWriter, lead_id: LeadId) -> Response:
    """Queue a rescore of this lead (with any other lead waiting for one); a grade given by
    hand stays."""
    lead = service.get_lead(session, ref=str(lead_id)).lead
    job = rescore_changed(session, lead_ids=[lead.id], requested_by=user.principal.prefix)
    return go_to(f"/leads/{lead.id}?done=rescore&job={job.id}", request=request)
