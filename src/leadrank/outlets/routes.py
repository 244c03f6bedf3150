"""`/api/v1/webhooks/endpoints`, `/api/v1/webhooks/deliveries` and `/api/v1/alerts`: outgoing
webhooks and alert rules, for admins (a receiver gets personal data, and a webhook's secret
signs for leadrank). Thin: the `outlets` modules do the work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from leadrank.api.errors import error_responses
from leadrank.deps import ADMINS, Admin, DbSession
from leadrank.kit.pages import next_before
from leadrank.orm.outlets import AlertRule, OutboxMessage
from leadrank.outlets import alert_rules, deliveries, endpoints, trials
from leadrank.outlets.schemas import (
    AlertRuleIn,
    AlertRulePublic,
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
    trial = trials.try_endpoint(request.app.state.settings, endpoint)
    return _trial_public(trial)


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


alerts_router = APIRouter(
    prefix="/api/v1/alerts", tags=["alerts"], responses=error_responses(401, 403, 422, 429)
)
RuleRef = Annotated[str, PathParam(min_length=1, max_length=100, pattern=r"^[^\x00/]*$")]


@alerts_router.get("", summary="List alert rules", dependencies=[ADMINS])
def list_alert_rules(session: DbSession) -> list[AlertRulePublic]:
    """Every rule, when it fires, and the leads waiting to be told."""
    return [_rule_public(rule, waiting) for rule, waiting in alert_rules.list_rules(session)]


@alerts_router.post(
    "", summary="Add an alert rule", status_code=201, responses=error_responses(400, 409)
)
def add_alert_rule(
    session: DbSession, request: Request, body: AlertRuleIn, principal: Admin
) -> AlertRulePublic:
    """A rule posting to a chat webhook when a lead enters a grade or reaches a score."""
    rule = alert_rules.add_rule(
        session,
        request.app.state.settings,
        name=body.name,
        url=body.url,
        grades=body.grades,
        min_score=body.min_score,
        form=body.format,
        digest=body.digest,
        digest_hour=body.digest_hour,
        quiet=body.quiet,
        timezone=body.timezone,
        created_by=principal.prefix,
    )
    return _rule_public(rule, 0)


@alerts_router.delete(
    "/{rule}",
    summary="Remove an alert rule",
    status_code=204,
    dependencies=[ADMINS],
    responses=error_responses(404),
)
def remove_alert_rule(session: DbSession, rule: RuleRef) -> None:
    """The rule goes, with the alerts it has not sent."""
    alert_rules.remove_rule(session, rule)


@alerts_router.post(
    "/{rule}/test",
    summary="Post a sample alert",
    dependencies=[ADMINS],
    responses=error_responses(404),
)
def test_alert_rule(session: DbSession, request: Request, rule: RuleRef) -> TrialPublic:
    """A sample alert about a made-up lead, posted now; how the chat answered."""
    found = alert_rules.get_rule(session, rule)
    trial = trials.try_rule(request.app.state.settings, found)
    return _trial_public(trial)


def _rule_public(rule: AlertRule, waiting: int) -> AlertRulePublic:
    return AlertRulePublic(
        id=rule.id,
        name=rule.name,
        when=alert_rules.describe(rule),
        format=rule.format,
        url=alert_rules.masked(rule.url),
        waiting=waiting,
        created_at=rule.created_at,
    )


def _trial_public(trial: trials.Trial) -> TrialPublic:
    return TrialPublic(
        ok=trial.ok,
        status=trial.status,
        error=trial.error,
        milliseconds=round(trial.milliseconds, 1),
        msg_id=trial.msg_id,
    )
