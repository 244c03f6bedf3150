"""Sending what is due from the outbox: each delivery is one POST, signed for webhook
endpoints, and its fate is written in a short transaction of its own right after, so no
transaction stays open while a receiver takes its time, and a crash between the two sends
the message again (at least once; receivers tell repeats by `webhook-id`).

A receiver that fails is paused until its delivery's next attempt: the next run tries that
one delivery first and, when it goes through, everything that waited behind it, in order.
Senders may run side by side (two workers): each claims the deliveries it sends first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.outlets import deliveries
from leadrank.outlets.deliveries import Parcel
from leadrank.outlets.signing import signed_headers

log = structlog.get_logger("leadrank.outlets")
BATCH = 100  # deliveries read at a time
RUN_SECONDS = 120.0  # a run stops after this long and queues the next, so other jobs get a turn
USER_AGENT = "leadrank-webhooks/1"


@dataclass
class SendReport:
    """What one run did."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    next_due: datetime | None = None
    paused: set[int] = field(default_factory=set)


def send_due(
    engine: Engine,
    settings: Settings,
    http: httpx.Client,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    run_seconds: float = RUN_SECONDS,
) -> SendReport:
    """Attempt every due delivery, then queue the next run for when one is due again."""
    report = SendReport()
    with session_scope(engine, writes=True) as session:
        report.dead += deliveries.expire(
            session, now=clock(), schedule=settings.webhook_retry_schedule
        )
    started = time.monotonic()
    while time.monotonic() - started < run_seconds:
        with session_scope(engine, writes=True) as session:
            now = clock()
            due = deliveries.due(session, now=now, limit=BATCH)
            parcels = deliveries.claim(
                session, [p for p in due if p.endpoint_id not in report.paused], now=now
            )
        if not parcels:
            break
        for parcel in parcels:
            if parcel.endpoint_id is not None and parcel.endpoint_id in report.paused:
                continue  # it failed a moment ago: the rest of its deliveries wait
            _attempt(engine, settings, http, parcel, report, clock)
    with session_scope(engine, writes=True) as session:
        report.next_due = deliveries.next_due(session)
        if report.next_due is not None:
            deliveries.schedule_sending(session, at=max(report.next_due, clock()))
    return report


def _attempt(
    engine: Engine,
    settings: Settings,
    http: httpx.Client,
    parcel: Parcel,
    report: SendReport,
    clock: Callable[[], datetime],
) -> None:
    # Signed with the real time: receivers refuse a timestamp more than minutes off theirs.
    status, error = post(http, settings, parcel, at=datetime.now(UTC))
    now = clock()
    with session_scope(engine, writes=True) as session:
        if error is None:
            deliveries.delivered(session, parcel, status=status or 200, now=now)
            report.delivered += 1
            return
        next_at = deliveries.failed(
            session,
            parcel,
            status=status,
            error=error,
            now=now,
            schedule=settings.webhook_retry_schedule,
        )
    report.failed += 1
    if next_at is None:
        report.dead += 1
    if parcel.endpoint_id is not None:
        report.paused.add(parcel.endpoint_id)
    log.warning(
        "delivery failed",
        delivery=parcel.delivery_id,
        endpoint=parcel.endpoint_id,
        status=status,
        error=error[:200],
        next_attempt=next_at.isoformat() if next_at else "dead",
    )


def post(
    http: httpx.Client, settings: Settings, parcel: Parcel, *, at: datetime
) -> tuple[int | None, str | None]:
    """One attempt: the receiver's status and, when it failed, why. `http` is a
    `urls.sending_client`: it refuses addresses inside the network as it connects."""
    body = encode(parcel.payload)
    headers = {"content-type": "application/json", "user-agent": USER_AGENT}
    if parcel.secret is not None:
        headers |= signed_headers(parcel.secret, msg_id=parcel.msg_id, at=at, body=body)
    try:
        response = http.post(
            parcel.url, content=body, headers=headers, timeout=settings.webhook_timeout_seconds
        )
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"{response.status_code} {response.text[:300]}".strip()


def encode(payload: dict[str, Any]) -> bytes:
    """A message's body, the same bytes on every attempt."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
