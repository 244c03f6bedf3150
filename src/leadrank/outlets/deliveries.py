"""Deliveries in the database: which are due (in order per lead), what became of an attempt,
when the next is due, listing and replaying them.

A delivery is due when its time has come, its endpoint is not paused, and no older delivery
of the same lead to the same endpoint is still pending: a lead's events reach an endpoint in
the order they happened, and one that goes dead stops holding back those after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from leadrank.errors import Conflict
from leadrank.jobs.defer import defer
from leadrank.kit.sql import get_or_404
from leadrank.orm.outlets import AlertRule, Delivery, OutboxMessage, WebhookEndpoint
from leadrank.outbox.emit import DELIVER_TASK

ERROR_CHARS = 500  # of a receiver's answer kept with a failed attempt
# How long a sender holds the deliveries it took: longer than any attempt takes.
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Parcel:
    """What one attempt sends: the message, where, and how."""

    delivery_id: int
    attempts: int  # before this one
    msg_id: str
    payload: dict[str, Any]
    url: str
    secret: str | None  # webhook endpoints sign; alert rules do not
    endpoint_id: int | None


def due(session: Session, *, now: datetime, limit: int) -> list[Parcel]:
    """Up to `limit` deliveries that may be attempted now, oldest first."""
    earlier = aliased(Delivery)
    held_back = exists().where(
        earlier.status == "pending",
        earlier.endpoint_id == Delivery.endpoint_id,
        earlier.key == Delivery.key,
        earlier.id < Delivery.id,
    )
    query = (
        select(
            Delivery.id,
            Delivery.attempts,
            OutboxMessage.msg_id,
            OutboxMessage.payload,
            func.coalesce(WebhookEndpoint.url, AlertRule.url),
            WebhookEndpoint.secret,
            Delivery.endpoint_id,
        )
        .join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
        .outerjoin(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
        .outerjoin(AlertRule, AlertRule.id == Delivery.rule_id)
        .where(
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
            or_(WebhookEndpoint.paused_until.is_(None), WebhookEndpoint.paused_until <= now),
            or_(Delivery.key.is_(None), Delivery.endpoint_id.is_(None), ~held_back),
        )
        .order_by(Delivery.id)
        .limit(limit)
    )
    return [Parcel(*row) for row in session.execute(query)]


def claim(session: Session, parcels: list[Parcel], *, now: datetime) -> list[Parcel]:
    """The parcels this sender takes: each moved out of reach of other senders for `LEASE`
    (a sender that dies with it leaves it to be tried again then: at least once). Another
    sender that read the same ones a moment ago gets none of them: the update only takes a
    delivery still due."""
    if not parcels:
        return []
    taken = set(
        session.scalars(
            update(Delivery)
            .where(
                Delivery.id.in_([parcel.delivery_id for parcel in parcels]),
                Delivery.status == "pending",
                Delivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + LEASE)
            .returning(Delivery.id)
        )
    )
    return [parcel for parcel in parcels if parcel.delivery_id in taken]


def delivered(session: Session, parcel: Parcel, *, status: int, now: datetime) -> None:
    """The receiver took it: done, and its endpoint is no longer paused."""
    session.execute(
        update(Delivery)
        .where(Delivery.id == parcel.delivery_id)
        .values(
            status="delivered",
            attempts=parcel.attempts + 1,
            last_attempt_at=now,
            last_status=status,
            last_error=None,
            delivered_at=now,
        )
    )
    if parcel.endpoint_id is not None:
        session.execute(
            update(WebhookEndpoint)
            .where(
                WebhookEndpoint.id == parcel.endpoint_id, WebhookEndpoint.paused_until.is_not(None)
            )
            .values(paused_until=None)
        )


def failed(
    session: Session,
    parcel: Parcel,
    *,
    status: int | None,
    error: str,
    now: datetime,
    schedule: list[float],
) -> datetime | None:
    """An attempt failed: the next one waits its turn of `schedule` (and the endpoint with
    it), or the delivery is dead when the schedule is spent. The next attempt's time, or
    None when dead."""
    attempts = parcel.attempts + 1
    dead = attempts > len(schedule)
    next_at = None if dead else now + timedelta(seconds=schedule[attempts - 1])
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status": status,
        "last_error": error[:ERROR_CHARS],
        "status": "dead" if dead else "pending",
    }
    if next_at is not None:
        values["next_attempt_at"] = next_at
    session.execute(update(Delivery).where(Delivery.id == parcel.delivery_id).values(**values))
    if parcel.endpoint_id is not None:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == parcel.endpoint_id)
            .values(paused_until=next_at)
        )
    return next_at


def expire(session: Session, *, now: datetime, schedule: list[float]) -> int:
    """Deliveries never tried and pending for longer than the whole retry schedule (and one
    more wait) are dead: behind a receiver down for days they wait while the delivery ahead
    of them runs through its own schedule, and would otherwise each wait as long again in
    turn. How many."""
    cutoff = now - timedelta(seconds=sum(schedule) + max(schedule))
    expired = session.execute(
        update(Delivery)
        # A delivery that was tried goes dead by its own schedule; these were never tried.
        .where(Delivery.status == "pending", Delivery.attempts == 0, Delivery.created_at < cutoff)
        .values(
            status="dead",
            last_error="expired: the receiver took no delivery for longer than the retry schedule",
        )
    )
    return int(expired.rowcount)  # type: ignore[attr-defined]


def next_due(session: Session) -> datetime | None:
    """When the sending job should next look: the earliest pending delivery of an endpoint
    that is not paused (or of an alert rule), or the end of the earliest pause of an endpoint
    that has deliveries waiting."""
    paused = WebhookEndpoint.paused_until
    free = session.scalar(
        select(func.min(Delivery.next_attempt_at))
        .outerjoin(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
        .where(Delivery.status == "pending", paused.is_(None))
    )
    pause = session.scalar(
        select(func.min(paused)).where(
            paused.is_not(None),
            exists().where(
                Delivery.endpoint_id == WebhookEndpoint.id, Delivery.status == "pending"
            ),
        )
    )
    found = [moment for moment in (free, pause) if moment is not None]
    return min(found) if found else None


def schedule_sending(session: Session, *, at: datetime | None = None) -> None:
    """Queue the sending job (one waits at a time), due at `at` or now."""
    defer(
        session,
        task=DELIVER_TASK,
        arguments={},
        requested_by="outbox",
        queueing_lock=DELIVER_TASK,
        run_after=at,
    )


def list_deliveries(
    session: Session,
    *,
    failed_only: bool = False,
    endpoint_id: int | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[tuple[Delivery, OutboxMessage]]:
    """Deliveries to webhook endpoints, newest first; `failed_only`: dead ones and pending
    ones that have failed at least once."""
    query = (
        select(Delivery, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
        .where(Delivery.endpoint_id.is_not(None))
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if failed_only:
        query = query.where(
            or_(
                Delivery.status == "dead", and_(Delivery.status == "pending", Delivery.attempts > 0)
            )
        )
    if endpoint_id is not None:
        query = query.where(Delivery.endpoint_id == endpoint_id)
    if before is not None:
        query = query.where(Delivery.id < before)
    return [(delivery, message) for delivery, message in session.execute(query)]


def replay(session: Session, delivery_id: int) -> Delivery:
    """Send a dead (or delivered) delivery again, now, with a fresh schedule of retries.
    Flushes only; the sending job is queued in the same transaction."""
    delivery = get_or_404(session, Delivery, delivery_id, name="delivery")
    if delivery.status == "pending":
        raise Conflict(f"delivery {delivery_id} is still pending; it will be tried again")
    now = datetime.now(UTC)
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, now
    delivery.delivered_at = None
    if delivery.endpoint_id is not None:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == delivery.endpoint_id)
            .values(paused_until=None)
        )
    session.flush()
    schedule_sending(session)
    return delivery
