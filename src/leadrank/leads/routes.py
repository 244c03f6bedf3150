"""`/api/v1/leads`: the list with filters and cursor pages, and one lead in full. Thin: the
queries live in `browse` and `service`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from leadrank.api.errors import error_responses
from leadrank.deps import NO_NUL, READERS, DbSession
from leadrank.leads import service
from leadrank.leads.browse import (
    MAX_PAGE,
    LeadFilters,
    LeadRow,
    Sort,
    browse_leads,
    parse_grades,
)
from leadrank.leads.repository import current_overrides, scores_of_lead
from leadrank.leads.schemas import (
    CompanyPublic,
    EventPublic,
    LeadDetailPublic,
    LeadPage,
    LeadPublic,
    OverridePublic,
    ScorePublic,
)
from leadrank.leads.service import still_enriched

router = APIRouter(
    prefix="/api/v1/leads",
    tags=["leads"],
    dependencies=[READERS],
    responses=error_responses(401, 403, 422, 429),
)
EVENTS_SHOWN = 200
SCORES_SHOWN = 20  # the newest scores of a lead's history; `scores_total` counts them all
MAX_SCORES_SHOWN = 500


@router.get("", summary="List leads", responses=error_responses(400))
def list_leads(
    session: DbSession,
    grade: Annotated[
        str | None,
        Query(pattern="^[A-Ea-e](,[A-Ea-e])*$", description="Grades served, e.g. A or A,B"),
    ] = None,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    max_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    source: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    country: Annotated[str | None, Query(pattern="^[A-Za-z]{2}$")] = None,
    seniority: Annotated[str | None, Query(max_length=16, pattern=NO_NUL)] = None,
    owner: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="Who works the lead")
    ] = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    q: Annotated[
        str | None,
        Query(max_length=200, pattern=NO_NUL, description="Words in name, email, company or title"),
    ] = None,
    sort: Sort = "score",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=500, pattern=NO_NUL)] = None,
) -> LeadPage:
    """Leads with their latest served score, grade and reasons, best first (or in another
    order: fit, engagement, quality, created, updated, name)."""
    filters = LeadFilters(
        grades=parse_grades(grade),
        min_score=min_score,
        max_score=max_score,
        source=source,
        created_after=created_after,
        created_before=created_before,
        search=q,
        country=country,
        seniority=seniority,
        owner=owner,
    )
    rows, next_cursor = browse_leads(
        session, filters=filters, sort=sort, limit=limit, cursor=cursor
    )
    return LeadPage(items=[_public(row) for row in rows], next_cursor=next_cursor)


@router.get("/{ref}", summary="One lead in full", responses=error_responses(404))
def get_lead(
    session: DbSession,
    ref: Annotated[str, PathParam(max_length=320, pattern=NO_NUL)],
    scores_limit: Annotated[
        int,
        Query(ge=1, le=MAX_SCORES_SHOWN, description="Newest score history entries to return"),
    ] = SCORES_SHOWN,
) -> LeadDetailPublic:
    """A lead by id or email: its fields with where each came from, its company, its events,
    its newest served scores with their reasons (`scores_total` counts them all), and a
    person's grade if one was given."""
    detail = service.get_lead(session, ref=ref)
    lead = detail.lead
    history, scores_total = scores_of_lead(session, lead.id, limit=scores_limit)
    override = current_overrides(session, [lead.id]).get(lead.id)
    latest, run = history[0] if history else (None, None)
    row = LeadRow(
        lead,
        latest.score if latest else None,
        latest.grade if latest else None,
        latest.probability if latest else None,
        override.grade if override else None,
        latest.fit if latest else None,
        latest.engagement if latest else None,
        latest.reasons if latest else None,
        run.model_version if run else None,
        run.as_of if run else None,
    )
    company = detail.company
    return LeadDetailPublic(
        **_public(row).model_dump(),
        phone_e164=lead.phone_e164,
        linkedin_url=lead.linkedin_url,
        city=lead.city,
        state=lead.state,
        lead_status=lead.lead_status,
        issues=list(lead.issues or []),
        attributes=dict(lead.attributes or {}),
        provenance=dict(lead.provenance or {}),
        enriched=still_enriched(lead),
        company=CompanyPublic(
            id=company.id,
            name=company.name,
            domain=company.domain,
            industry=company.industry,
            employees=company.employees,
            revenue=company.revenue,
        )
        if company
        else None,
        events=[
            EventPublic(event_type=e.event_type, occurred_at=e.occurred_at, source=e.source)
            for e in detail.events[-EVENTS_SHOWN:]
        ],
        scores=[
            ScorePublic(
                run_id=run.id,
                model_version=run.model_version,
                scored_at=run.as_of,
                score=s.score,
                grade=s.grade,
                probability=s.probability,
                fit=s.fit,
                engagement=s.engagement,
                confidence=s.confidence,
                reasons=s.reasons,
            )
            for s, run in history
        ],
        scores_total=scores_total,
        override=OverridePublic(
            grade=override.grade,
            reason=override.reason,
            set_by=override.set_by,
            set_at=override.set_at,
        )
        if override
        else None,
    )


def _public(row: LeadRow) -> LeadPublic:
    lead = row.lead
    return LeadPublic(
        id=lead.id,
        full_name=lead.full_name,
        email=lead.email,
        job_title=lead.job_title,
        seniority=lead.seniority,
        department=lead.department,
        company_name=lead.company_name,
        company_domain=lead.company_domain,
        country_code=lead.country_code,
        lead_source=lead.lead_source,
        owner=lead.owner,
        owner_source=lead.owner_source,
        quality_score=lead.quality_score,
        created_at=lead.created_at,
        score=row.score,
        grade=row.grade,
        computed_grade=row.computed_grade,
        probability=row.probability,
        fit=row.fit,
        engagement=row.engagement,
        reasons=row.reasons,
        model_version=row.model_version,
        scored_at=row.scored_at,
    )
