"""`/api/v1/enrichment`: enrich leads in the background, and each provider's health. Thin:
the job runs what `leadrank enrich leads` runs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from leadrank.api.errors import error_responses
from leadrank.deps import READERS, DbSession, Writer
from leadrank.enrichment.health import ProviderHealth, provider_health
from leadrank.errors import BadInput
from leadrank.jobs.defer import defer
from leadrank.jobs.schemas import JobPublic
from leadrank.orm import Lead

router = APIRouter(
    prefix="/api/v1/enrichment", tags=["enrichment"], responses=error_responses(401, 403, 422, 429)
)
MAX_LEADS = 10_000  # a larger run is a job without ids: every lead that is due


class EnrichRequest(BaseModel):
    """Which leads and field groups; no ids: every lead never enriched or left unfinished."""

    model_config = ConfigDict(extra="forbid")
    lead_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        default_factory=list, max_length=MAX_LEADS
    )
    groups: list[Literal["company", "person", "email"]] = Field(default_factory=list, max_length=3)


@router.post(
    "/jobs",
    summary="Enrich leads in the background",
    status_code=202,
    responses=error_responses(400),
)
def enrich(
    session: DbSession,
    body: EnrichRequest,
    principal: Writer,
) -> JobPublic:
    """Queue enrichment; follow the job at `/api/v1/jobs/{id}`, whose result counts the fields
    filled and kept, the attempts by status, the credits spent and the leads left unfinished."""
    if body.lead_ids:
        wanted = set(body.lead_ids)
        found = set(session.scalars(select(Lead.id).where(Lead.id.in_(wanted))))
        missing = sorted(wanted - found)
        if missing:
            raise BadInput(f"no lead {', '.join(map(str, missing[:10]))}")
    job = defer(
        session,
        task="enrich_leads",
        arguments=body.model_dump(),
        requested_by=principal.prefix,
    )
    return JobPublic.of(job)


@router.get("/providers", summary="Each provider's health", dependencies=[READERS])
def providers(session: DbSession, request: Request) -> list[ProviderHealth]:
    """Configured or not, breaker, failures in a row, credits today and attempts in 24 h."""
    return provider_health(session, settings=request.app.state.settings)
