"""Webhook endpoints: adding one (its secret shown once), listing, removing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.errors import BadInput
from leadrank.kit.sql import get_or_404
from leadrank.orm.outlets import Delivery, WebhookEndpoint
from leadrank.outbox.events import EVENT_TYPES
from leadrank.outlets.signing import new_secret
from leadrank.outlets.urls import checked_url


@dataclass(frozen=True)
class EndpointState:
    """An endpoint and how its deliveries stand."""

    endpoint: WebhookEndpoint
    pending: int
    delivered: int
    dead: int


def event_types(names: Sequence[str]) -> list[str]:
    """The event types named (comma-separated allowed; "*" or "all" for every one), checked,
    in the canonical order."""
    wanted = {part.strip() for name in names for part in name.split(",") if part.strip()}
    if wanted & {"*", "all"}:
        return list(EVENT_TYPES)
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown:
        raise BadInput(
            f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}"
        )
    if not wanted:
        raise BadInput(f"name at least one event type: {', '.join(EVENT_TYPES)}")
    return [event for event in EVENT_TYPES if event in wanted]


def add_endpoint(
    session: Session,
    settings: Settings,
    *,
    url: str,
    events: Sequence[str],
    description: str | None = None,
    created_by: str | None = None,
) -> WebhookEndpoint:
    """A new endpoint with a new signing secret (the caller shows it once). Flushes only."""
    endpoint = WebhookEndpoint(
        url=checked_url(url, allow_private=settings.webhook_allow_private_urls),
        events=event_types(events),
        secret=new_secret(),
        description=(description or "").strip()[:200] or None,
        created_at=datetime.now(UTC),
        created_by=created_by,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint, or NotFound."""
    return get_or_404(session, WebhookEndpoint, endpoint_id, name="webhook endpoint")


def list_endpoints(session: Session) -> list[EndpointState]:
    """Every endpoint, oldest first, with its deliveries counted by status."""
    counts: dict[tuple[int | None, str], int] = {
        (endpoint_id, status): count
        for endpoint_id, status, count in session.execute(
            select(Delivery.endpoint_id, Delivery.status, func.count())
            .where(Delivery.endpoint_id.is_not(None))
            .group_by(Delivery.endpoint_id, Delivery.status)
        )
    }
    endpoints = session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    return [
        EndpointState(
            endpoint,
            pending=counts.get((endpoint.id, "pending"), 0),
            delivered=counts.get((endpoint.id, "delivered"), 0),
            dead=counts.get((endpoint.id, "dead"), 0),
        )
        for endpoint in endpoints
    ]


def remove_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    """Remove the endpoint; its deliveries, sent or not, go with it. Flushes only."""
    endpoint = get_endpoint(session, endpoint_id)
    session.delete(endpoint)
    session.flush()
    return endpoint
