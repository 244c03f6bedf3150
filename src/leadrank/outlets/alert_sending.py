"""Turning waiting alert hits into messages: each rule's hits become one message per lead,
or one summary when many came at once (a bulk rescore), or wait for the end of the rule's
quiet hours, or for its daily digest. The messages go out through the outbox like any
delivery (retried, dead, replayable)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.jobs.defer import defer
from leadrank.orm.outlets import AlertHit, AlertRule, Delivery, OutboxMessage
from leadrank.outbox.emit import ALERT_TASK, new_message_id
from leadrank.outlets import alert_messages
from leadrank.outlets.alert_rules import next_digest, quiet_until
from leadrank.outlets.deliveries import schedule_sending

# More hits than this waiting for a rule at once become one summary instead of one message
# each: a rescore that moves 300 leads into grade A posts once, not 300 times.
ONE_BY_ONE_UP_TO = 5


@dataclass
class AlertReport:
    """What one run sent and held back."""

    messages: int = 0
    leads: int = 0
    held: int = 0  # hits waiting for quiet hours to end or for a digest
    next_at: datetime | None = None


def send_alerts(
    session: Session, settings: Settings, *, now: datetime | None = None
) -> AlertReport:
    """Compose the messages every rule owes now; queue the next run for held hits. Flushes
    only; the caller owns the transaction."""
    now = now or datetime.now(UTC)
    report = AlertReport()
    for rule in session.scalars(select(AlertRule).order_by(AlertRule.id)).all():
        hits = session.scalars(
            select(AlertHit)
            .where(AlertHit.rule_id == rule.id, AlertHit.sent_at.is_(None))
            .order_by(AlertHit.id)
        ).all()
        if not hits:
            continue
        wait_until = _held_until(rule, now)
        if wait_until is not None:
            report.held += len(hits)
            report.next_at = min(filter(None, (report.next_at, wait_until)))
            continue
        details = [_latest_per_lead(hit) for hit in _one_per_lead(list(hits))]
        for payload in _messages(rule, details, settings=settings, digest=rule.digest):
            _queue(session, rule, payload, now)
            report.messages += 1
        report.leads += len(details)
        session.execute(
            update(AlertHit).where(AlertHit.id.in_([hit.id for hit in hits])).values(sent_at=now)
        )
        if rule.digest:
            rule.last_digest_at = now
    session.flush()
    if report.messages:
        schedule_sending(session)
    if report.next_at is not None:
        defer(
            session,
            task=ALERT_TASK,
            arguments={},
            requested_by="alerts",
            lock=ALERT_TASK,
            queueing_lock=f"{ALERT_TASK}:later",
            run_after=report.next_at,
        )
    return report


def _held_until(rule: AlertRule, now: datetime) -> datetime | None:
    if rule.digest:
        due = next_digest(rule, now)
        return None if due <= now else due
    return quiet_until(rule, now)


def _one_per_lead(hits: list[AlertHit]) -> list[AlertHit]:
    """The newest hit of each lead: a lead that met the rule twice is told once."""
    newest: dict[int, AlertHit] = {}
    for hit in hits:
        newest[hit.lead_id] = hit
    return sorted(newest.values(), key=lambda hit: hit.id)


def _latest_per_lead(hit: AlertHit) -> dict[str, Any]:
    return {**hit.details, "lead_id": hit.lead_id}


def _messages(
    rule: AlertRule, hits: list[dict[str, Any]], *, settings: Settings, digest: bool
) -> list[dict[str, Any]]:
    described = {"name": rule.name, "grades": rule.grades, "min_score": rule.min_score}
    public = settings.public_url
    if digest:
        return [
            alert_messages.many_leads(
                described, hits, public_url=public, form=rule.format, kind="digest"
            )
        ]
    if len(hits) > ONE_BY_ONE_UP_TO:
        return [
            alert_messages.many_leads(
                described, hits, public_url=public, form=rule.format, kind="summary"
            )
        ]
    return [
        alert_messages.one_lead(described, hit, public_url=public, form=rule.format) for hit in hits
    ]


def _queue(session: Session, rule: AlertRule, payload: dict[str, Any], now: datetime) -> None:
    message_id = session.scalar(
        insert(OutboxMessage)
        .values(
            msg_id=new_message_id(),
            event_type="alert",
            key=None,
            payload=payload,
            created_at=now,
        )
        .returning(OutboxMessage.id)
    )
    session.execute(
        insert(Delivery).values(
            message_id=message_id,
            endpoint_id=None,
            rule_id=rule.id,
            key=None,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
