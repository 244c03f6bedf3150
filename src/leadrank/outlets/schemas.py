"""API shapes of outgoing webhooks and alert rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from leadrank.orm.outlets import Delivery, OutboxMessage
from leadrank.outbox.events import EVENT_TYPES
from leadrank.outlets.endpoints import EndpointState


class EndpointIn(BaseModel):
    """A URL to subscribe, and to which events."""

    url: str = Field(max_length=2000, pattern=r"^[^\x00]*$")
    events: list[str] = Field(
        min_length=1,
        max_length=len(EVENT_TYPES) + 1,
        description=f"of {', '.join(EVENT_TYPES)}, or all",
    )
    description: str | None = Field(default=None, max_length=200, pattern=r"^[^\x00]*$")


class EndpointPublic(BaseModel):
    """An endpoint and how its deliveries stand; its secret is never shown again."""

    id: int
    url: str
    events: list[str]
    description: str | None
    created_at: datetime
    paused_until: datetime | None  # failing: nothing is tried before then
    pending: int
    delivered: int
    dead: int

    @classmethod
    def of(cls, state: EndpointState) -> EndpointPublic:
        endpoint = state.endpoint
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=list(endpoint.events),
            description=endpoint.description,
            created_at=endpoint.created_at,
            paused_until=endpoint.paused_until,
            pending=state.pending,
            delivered=state.delivered,
            dead=state.dead,
        )


class EndpointCreated(EndpointPublic):
    """A new endpoint, with the signing secret shown this once."""

    secret: str


class TrialPublic(BaseModel):
    """How an endpoint answered a test message."""

    ok: bool
    status: int | None
    error: str | None
    milliseconds: float
    msg_id: str


class DeliveryPublic(BaseModel):
    """A message on its way to an endpoint."""

    id: int
    endpoint_id: int | None
    msg_id: str
    event_type: str
    key: str | None
    status: str  # pending | delivered | dead
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]

    @classmethod
    def of(cls, delivery: Delivery, message: OutboxMessage) -> DeliveryPublic:
        return cls(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            msg_id=message.msg_id,
            event_type=message.event_type,
            key=message.key,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
            last_attempt_at=delivery.last_attempt_at,
            last_status=delivery.last_status,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            created_at=delivery.created_at,
            payload=message.payload,
        )


class DeliveryPage(BaseModel):
    """Deliveries, newest first; `next_before` fetches older ones."""

    items: list[DeliveryPublic]
    next_before: int | None


class AlertRuleIn(BaseModel):
    """An alert rule: where to post, and when."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00]*$")
    url: str = Field(max_length=2000, pattern=r"^[^\x00]*$")
    grades: list[str] = Field(default_factory=list, max_length=5)
    min_score: float | None = Field(default=None, ge=0, le=100)
    format: Literal["slack", "json"] = "slack"
    digest: bool = False
    digest_hour: int = Field(default=8, ge=0, le=23)
    quiet: str | None = Field(default=None, max_length=20, description="e.g. 22:00-07:00")
    timezone: str = Field(default="UTC", max_length=60, pattern=r"^[^\x00]*$")


class AlertRulePublic(BaseModel):
    """An alert rule; its URL (a chat webhook's URL is its credential) shown without its
    path."""

    id: int
    name: str
    when: str
    format: str
    url: str
    waiting: int
    created_at: datetime
