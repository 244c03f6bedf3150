"""`/api/v1/webhooks/endpoints` and `/api/v1/webhooks/deliveries`: outgoing webhooks, for
admins (an endpoint receives personal data and its secret signs for leadrank). Thin:
`outlets.endpoints` and `outlets.deliveries` do the work."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from leadrank.api.errors import error_responses
from leadrank.deps import ADMINS, Admin, DbSession
from leadrank.kit.pages import next_before
from leadrank.orm.outlets import OutboxMessage
from leadrank.outlets import deliveries, endpoints, trials
from leadrank.outlets.schemas import (
    DeliveryPage,
    DeliveryPublic,
    EndpointCreated,
    EndpointIn,
    EndpointPublic,
    TrialPublic,
)

router = APIRouter(
    prefix="/api/v1/webhooks",
    tags=["outgoing webhooks"],
    responses=error_responses(401, 403, 422, 429),
)
Id = Annotated[int, PathParam(ge=1, le=2**62)]
MAX_PAGE = 200
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@router.get("/endpoints", summary="List webhook endpoints", dependencies=[ADMINS])
def list_endpoints(session: DbSession) -> list[EndpointPublic]:
    """Every endpoint with its events and how its deliveries stand."""
    return [EndpointPublic.of(state) for state in endpoints.list_endpoints(session)]


@router.post(
    "/endpoints",
    summary="Subscribe a URL to events",
    status_code=201,
    responses=error_responses(400),
)
def add_endpoint(
    session: DbSession, request: Request, body: EndpointIn, principal: Admin
) -> EndpointCreated:
    """A new endpoint; the answer carries its signing secret (`whsec_...`), shown only now."""
    endpoint = endpoints.add_endpoint(
        session,
        request.app.state.settings,
        url=body.url,
        events=body.events,
        description=body.description,
        created_by=principal.prefix,
    )
    state = endpoints.EndpointState(endpoint, pending=0, delivered=0, dead=0)
    return EndpointCreated(**EndpointPublic.of(state).model_dump(), secret=endpoint.secret)


@router.delete(
    "/endpoints/{endpoint_id}",
    summary="Remove a webhook endpoint",
    status_code=204,
    dependencies=[ADMINS],
    responses=error_responses(404),
)
def remove_endpoint(session: DbSession, endpoint_id: Id) -> None:
    """Stop sending to it; its deliveries go with it."""
    endpoints.remove_endpoint(session, endpoint_id)


@router.post(
    "/endpoints/{endpoint_id}/test",
    summary="Send a test message",
    dependencies=[ADMINS],
    responses=error_responses(404),
)
def test_endpoint(session: DbSession, request: Request, endpoint_id: Id) -> TrialPublic:
    """A signed `webhook.test` message, sent now; how the receiver answered."""
    endpoint = endpoints.get_endpoint(session, endpoint_id)
    with httpx.Client(timeout=TIMEOUT) as http:
        trial = trials.try_endpoint(request.app.state.settings, endpoint, http)
    return TrialPublic(
        ok=trial.ok,
        status=trial.status,
        error=trial.error,
        milliseconds=round(trial.milliseconds, 1),
        msg_id=trial.msg_id,
    )


@router.get("/deliveries", summary="List deliveries", dependencies=[ADMINS])
def list_deliveries(
    session: DbSession,
    failed: Annotated[bool, Query(description="Only dead ones and those failing")] = False,
    endpoint_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="A delivery id")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> DeliveryPage:
    """Deliveries to webhook endpoints, newest first, with their messages."""
    found = deliveries.list_deliveries(
        session, failed_only=failed, endpoint_id=endpoint_id, before=before, limit=limit
    )
    return DeliveryPage(
        items=[DeliveryPublic.of(delivery, message) for delivery, message in found],
        next_before=next_before([delivery.id for delivery, _ in found], limit),
    )


@router.post(
    "/deliveries/{delivery_id}/retry",
    summary="Send a delivery again",
    status_code=202,
    dependencies=[ADMINS],
    responses=error_responses(404, 409),
)
def retry_delivery(session: DbSession, delivery_id: Id) -> DeliveryPublic:
    """Queue a dead (or delivered) delivery again, with a fresh round of retries."""
    delivery = deliveries.replay(session, delivery_id)
    message = session.get(OutboxMessage, delivery.message_id)
    assert message is not None  # a delivery's message goes only with it
    return DeliveryPublic.of(delivery, message)
