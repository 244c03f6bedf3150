"""Writing events to the outbox, in the caller's transaction: a message per event that some
endpoint subscribes to, a pending delivery per subscribed endpoint, and a hit per alert rule
the event meets; then the jobs that send them are queued in the same transaction, so a change
and the news of it commit together or not at all.

Nothing is written for an event no one listens to: a bulk rescore of a million leads costs
nothing here until an endpoint subscribes to `lead.scored`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from leadrank.jobs.defer import defer
from leadrank.kit.sql import batched
from leadrank.orm.outlets import AlertHit, AlertRule, Delivery, OutboxMessage, WebhookEndpoint
from leadrank.outbox.alert_match import meets
from leadrank.outbox.events import ALERT_EVENT_TYPES, LEAD_GRADE_CHANGED, LEAD_SCORED, OutletEvent

DELIVER_TASK = "deliver_outbox"  # outlets.tasks: sends what is due
ALERT_TASK = "send_alerts"  # outlets.tasks: turns alert hits into messages
ROWS_PER_STATEMENT = 2_000
OUTBOX_LOCK = 7_301_031  # the advisory lock that keeps message ids in commit order


@dataclass(frozen=True)
class _Listeners:
    endpoints: dict[str, list[int]]  # event type -> endpoint ids subscribed to it
    rules: list[tuple[int, list[str], float | None]]  # alert rules: id, grades, min_score

    def wants(self, event_type: str) -> bool:
        if self.endpoints.get(event_type):
            return True
        if event_type == LEAD_GRADE_CHANGED:  # rules that watch grades
            return any(grades for _, grades, _ in self.rules)
        if event_type == LEAD_SCORED:  # rules that watch a score line
            return any(line is not None for _, _, line in self.rules)
        return False


def listeners(session: Session) -> _Listeners:
    """Who listens now: each event type's endpoints, and the alert rules."""
    endpoints: dict[str, list[int]] = {}
    for endpoint_id, events in session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).order_by(WebhookEndpoint.id)
    ):
        for event_type in events or []:
            endpoints.setdefault(event_type, []).append(endpoint_id)
    rules = [
        (rule_id, list(grades or []), min_score)
        for rule_id, grades, min_score in session.execute(
            select(AlertRule.id, AlertRule.grades, AlertRule.min_score).order_by(AlertRule.id)
        )
    ]
    return _Listeners(endpoints, rules)


def wanted(session: Session, *event_types: str) -> bool:
    """Whether anyone listens to any of these event types (so their data is worth reading)."""
    found = listeners(session)
    return any(found.wants(event_type) for event_type in event_types)


def emit(session: Session, events: Sequence[OutletEvent]) -> int:
    """Write these events for whoever listens, in the caller's transaction; how many
    messages were written. Flushes only."""
    found = listeners(session)
    chosen = [event for event in events if found.wants(event.type)]
    if not chosen:
        return 0
    _in_commit_order(session)
    now = datetime.now(UTC)
    written = 0
    deliveries: list[dict[str, Any]] = []
    hits: list[dict[str, Any]] = []
    for chunk in batched(chosen, ROWS_PER_STATEMENT):
        to_send = [event for event in chunk if found.endpoints.get(event.type)]
        if to_send:
            ids = session.scalars(
                insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True),
                [_message(event, now) for event in to_send],
            ).all()
            written += len(ids)
            for event, message_id in zip(to_send, ids, strict=True):
                deliveries.extend(
                    _delivery(message_id, endpoint_id, event.key, now)
                    for endpoint_id in found.endpoints[event.type]
                )
        for event in chunk:
            lead_id = event.data.get("lead_id")
            if event.type not in ALERT_EVENT_TYPES or not isinstance(lead_id, int):
                continue
            hits.extend(
                {
                    "rule_id": rule_id,
                    "lead_id": lead_id,
                    "score": _score(event.data),
                    "details": {"event": event.type, **event.data},
                    "created_at": now,
                }
                for rule_id, grades, min_score in found.rules
                if meets(event.type, event.data, grades=grades, min_score=min_score)
            )
    for rows in batched(deliveries, ROWS_PER_STATEMENT):
        session.execute(insert(Delivery), list(rows))
    for rows in batched(hits, ROWS_PER_STATEMENT):
        session.execute(insert(AlertHit), list(rows))
    if deliveries:
        defer(
            session,
            task=DELIVER_TASK,
            arguments={},
            requested_by="outbox",
            queueing_lock=DELIVER_TASK,
        )
    if hits:
        defer(
            session,
            task=ALERT_TASK,
            arguments={},
            requested_by="outbox",
            queueing_lock=ALERT_TASK,
        )
    return written


def _score(data: dict[str, Any]) -> float | None:
    score = data.get("score")
    return float(score) if isinstance(score, int | float) else None


def _in_commit_order(session: Session) -> None:
    """On PostgreSQL, hold the outbox until this transaction ends: messages get their ids in
    the order their transactions commit, so a lead's messages are sent in the order its
    changes committed (without it, a long scoring run's message could get an earlier id
    than an override committed before it). SQLite's single writer orders them already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK})


def new_message_id() -> str:
    """A message's webhook-id: unique, and the same on every retry of it."""
    return f"msg_{uuid.uuid4().hex}"


def _message(event: OutletEvent, now: datetime) -> dict[str, Any]:
    return {
        "msg_id": new_message_id(),
        "event_type": event.type,
        "key": event.key,
        "payload": {
            "type": event.type,
            "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "data": event.data,
        },
        "created_at": now,
    }


def _delivery(message_id: int, endpoint_id: int, key: str | None, now: datetime) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "endpoint_id": endpoint_id,
        "rule_id": None,
        "key": key,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
