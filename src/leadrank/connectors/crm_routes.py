"""`/api/v1/connectors/{crm}`: start a CRM pull, push or sync as a job, and see how the last
ones went. Thin: `connectors.crm` and the job core do the work."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from leadrank.api.errors import error_responses
from leadrank.connectors import crm
from leadrank.connectors.crm_links import states
from leadrank.connectors.tasks import CRM_LOCK, CRM_SYNC
from leadrank.deps import READERS, DbSession, Writer
from leadrank.errors import BadInput
from leadrank.jobs.defer import defer
from leadrank.jobs.schemas import JobPublic

router = APIRouter(
    prefix="/api/v1/connectors", tags=["connectors"], responses=error_responses(401, 403, 422, 429)
)
Crm = Literal["hubspot", "salesforce"]
Direction = Literal["pull", "push", "sync"]


class SyncStatePublic(BaseModel):
    """How far one object type's pulls got, and how the last pull and push went."""

    object_type: str
    modified_through: datetime | None
    last_pull_at: datetime | None
    last_push_at: datetime | None
    last_result: dict[str, Any] | None


class CrmState(BaseModel):
    """A CRM's connection: whether it is configured, and each object type's sync state."""

    vendor: str
    configured: bool
    objects: list[SyncStatePublic]


@router.get("/{vendor}", summary="A CRM's last syncs", dependencies=[READERS])
def crm_state(session: DbSession, request: Request, vendor: Crm) -> CrmState:
    """Whether the CRM is configured, and how far each object type's sync got."""
    return CrmState(
        vendor=vendor,
        configured=vendor in crm.configured(request.app.state.settings),
        objects=[
            SyncStatePublic(
                object_type=state.object_type,
                modified_through=state.modified_through,
                last_pull_at=state.last_pull_at,
                last_push_at=state.last_push_at,
                last_result=state.last_result,
            )
            for state in states(session, vendor=vendor)
        ],
    )


@router.post(
    "/{vendor}/{direction}",
    summary="Start a CRM pull, push or sync",
    status_code=202,
    responses=error_responses(400, 409),
)
def start(
    session: DbSession,
    request: Request,
    vendor: Crm,
    direction: Direction,
    principal: Writer,
    since: Annotated[date | None, Query(description="Pull records changed since (UTC)")] = None,
) -> JobPublic:
    """Queue the run as a job (one at a time per CRM); follow it at /api/v1/jobs/{id}."""
    if vendor not in crm.configured(request.app.state.settings):
        raise BadInput(f"{vendor} is not configured: set its credentials (see the README)")
    job = defer(
        session,
        task=CRM_SYNC,
        arguments={
            "vendor": vendor,
            "direction": direction,
            **({"since": since.isoformat()} if since else {}),
        },
        requested_by=principal.prefix,
        lock=CRM_LOCK,
        queueing_lock=f"crm:{vendor}:{direction}",
    )
    return JobPublic.of(job)
