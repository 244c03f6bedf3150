"""Trying a receiver now: a signed `webhook.test` message to an endpoint, or a sample alert
to a rule's chat webhook, sent at once (not through the outbox) so its answer can be shown."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from leadrank.config import Settings
from leadrank.orm.outlets import AlertRule, WebhookEndpoint
from leadrank.outbox.emit import new_message_id
from leadrank.outlets import alert_messages
from leadrank.outlets.deliveries import Parcel
from leadrank.outlets.sender import post
from leadrank.outlets.urls import sending_client

TEST_EVENT = "webhook.test"
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
SAMPLE_LEAD = {
    "lead_id": 0,
    "event": "lead.grade_changed",
    "name": "Ada Example",
    "title": "VP Engineering",
    "company": "Example Corp",
    "grade": "A",
    "previous_grade": "B",
    "score": 91.0,
    "probability": 0.42,
    "reasons": ["a test message from leadrank", "no lead was scored"],
}


@dataclass(frozen=True)
class Trial:
    """How the receiver answered."""

    status: int | None
    error: str | None
    milliseconds: float
    msg_id: str

    @property
    def ok(self) -> bool:
        return self.error is None


def try_endpoint(settings: Settings, endpoint: WebhookEndpoint) -> Trial:
    """Send the endpoint a signed test message."""
    now = datetime.now(UTC)
    payload = {
        "type": TEST_EVENT,
        "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "data": {"endpoint_id": endpoint.id, "message": "a test delivery from leadrank"},
    }
    parcel = Parcel(0, 0, new_message_id(), payload, endpoint.url, endpoint.secret, endpoint.id)
    return _timed(settings, parcel)


def try_rule(settings: Settings, rule: AlertRule) -> Trial:
    """Send the rule's chat webhook a sample alert about a made-up lead."""
    described = {"name": rule.name, "grades": rule.grades, "min_score": rule.min_score}
    payload = alert_messages.one_lead(
        described, SAMPLE_LEAD, public_url=settings.public_url, form=rule.format
    )
    parcel = Parcel(0, 0, new_message_id(), payload, rule.url, None, None)
    return _timed(settings, parcel)


def _timed(settings: Settings, parcel: Parcel) -> Trial:
    allow = settings.webhook_allow_private_urls
    started = time.perf_counter()
    with sending_client(allow_private=allow, timeout=TIMEOUT) as http:
        status, error = post(http, settings, parcel, at=datetime.now(UTC))
    return Trial(status, error, (time.perf_counter() - started) * 1000, parcel.msg_id)
