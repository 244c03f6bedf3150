"""`POST /api/v1/webhooks/instantly`: Instantly's webhook deliveries into the workspace.

Instantly signs nothing; a webhook can carry headers set when it is created, so the receiver
checks a shared secret sent as `X-Webhook-Secret: SECRET` (or `Authorization: Bearer
SECRET`) against LEADRANK_INSTANTLY_WEBHOOK_SECRET. The secret is checked before the body is
read, and the body before a database transaction starts. Thin: `record_webhook` does the work.
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from leadrank.api.errors import BadJson, InvalidPayload, error_responses
from leadrank.config import Settings
from leadrank.connectors.instantly.schemas import InstantlyWebhookEvent, WebhookReceipt
from leadrank.connectors.instantly.service import record_webhook
from leadrank.deps import DbSession
from leadrank.errors import AppError, Unauthorized
from leadrank.kit.storable import unstorable

SECRET_HEADER = "X-Webhook-Secret"


class WebhooksOff(AppError):
    """No shared secret is configured, so no delivery can be trusted."""

    status_code = 503


def _verified(request: Request) -> None:
    """Let through a delivery that presents the shared secret."""
    secret = request.app.state.settings.instantly_webhook_secret
    if secret is None:
        raise WebhooksOff(
            "Instantly webhooks are off: set LEADRANK_INSTANTLY_WEBHOOK_SECRET and add it to "
            f"the webhook in Instantly as the {SECRET_HEADER} header"
        )
    expected = secret.get_secret_value().encode()
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    presented = [request.headers.get(SECRET_HEADER, "").strip()]
    if scheme.lower() == "bearer":
        presented.append(token.strip())
    # Every candidate is compared in constant time, so the answer's timing says nothing.
    matches = [hmac.compare_digest(p.encode(), expected) for p in presented if p]
    if not any(matches):
        raise Unauthorized(
            f"send the Instantly webhook secret as the {SECRET_HEADER} header "
            "(or as 'Authorization: Bearer SECRET')"
        )


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


async def _delivery(request: Request) -> dict[str, Any]:
    """The body: a JSON object shaped like an Instantly webhook event."""
    raw = await request.body()
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJson(f"the body is not JSON: {exc}") from None
    except RecursionError:
        raise BadJson("the body is nested too deep to be an Instantly event") from None
    if not isinstance(document, dict):
        raise InvalidPayload("an Instantly webhook event is a JSON object", path="$")
    try:
        InstantlyWebhookEvent.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "$" + "".join(f".{part}" for part in first.get("loc", ()))
        raise InvalidPayload(str(first.get("msg", "invalid event")), path=where) from None
    problem = unstorable(document)
    if problem:
        raise InvalidPayload(f"the event {problem}", path="$")
    return document


def instantly_webhook(
    event: Annotated[dict[str, Any], Depends(_delivery)], session: DbSession, request: Request
) -> WebhookReceipt:
    """An Instantly event (email sent, opened, clicked, replied, bounced, unsubscribed, lead
    interested, meeting booked, ...) into bronze as sent and, for a known or new lead, into its
    events; the same delivery twice is stored once."""
    return record_webhook(
        session,
        request.app.state.settings,
        payload=event,
        name=f"instantly webhook {request.state.request_id}",
    )


def router_for(settings: Settings) -> APIRouter:
    """The webhook routes of an app. Without a secret the route answers 503 and is left out of
    the OpenAPI document: it is not a usable part of this API until it is configured."""
    router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
    router.add_api_route(
        "/instantly",
        instantly_webhook,
        methods=["POST"],
        summary="Receive an Instantly webhook",
        dependencies=[Depends(_verified)],
        responses=error_responses(400, 401, 413, 422, 503),
        include_in_schema=settings.instantly_webhook_secret is not None,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": InstantlyWebhookEvent.model_json_schema()}
                },
            }
        },
    )
    return router
