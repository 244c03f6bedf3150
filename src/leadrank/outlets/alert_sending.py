"""Turning waiting alert hits into messages: each rule's hits become one message per lead,
or one summary when many came at once (a bulk rescore), or wait for the end of the rule's
quiet hours, or for its daily digest. The messages go out through the outbox like any
delivery (retried, dead, replayable)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import distinct, func, insert, select, text, update
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.jobs.defer import defer
from leadrank.orm.outlets import AlertHit, AlertRule, Delivery, OutboxMessage
from leadrank.outbox.emit import ALERT_TASK, new_message_id
from leadrank.outlets import alert_messages
from leadrank.outlets.alert_messages import SHOWN_IN_SUMMARY
from leadrank.outlets.alert_rules import next_digest, quiet_until
from leadrank.outlets.deliveries import schedule_sending

# More hits than this waiting for a rule at once become one summary instead of one message
# each: a rescore that moves 300 leads into grade A posts once, not 300 times.
ONE_BY_ONE_UP_TO = 5
ALERTS_LOCK = 7_301_032  # the advisory lock of composing alerts (PostgreSQL)


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
    only; the caller owns the transaction. A rule's hits are counted and ranked in the
    database and marked sent in one statement, however many a bulk rescore left."""
    now = now or datetime.now(UTC)
    if session.get_bind().dialect.name == "postgresql":  # one composer at a time (SQLite's
        # single writer sees to it): two would tell the same hits twice
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ALERTS_LOCK})
    report = AlertReport()
    for rule in session.scalars(select(AlertRule).order_by(AlertRule.id)).all():
        waiting = (AlertHit.rule_id == rule.id, AlertHit.sent_at.is_(None))
        leads, last_id, oldest = session.execute(
            select(
                func.count(distinct(AlertHit.lead_id)),
                func.max(AlertHit.id),
                func.min(AlertHit.created_at),
            ).where(*waiting)
        ).one()
        if not leads:
            continue
        wait_until = _held_until(rule, now, oldest)
        if wait_until is not None:
            report.held += leads
            report.next_at = min(filter(None, (report.next_at, wait_until)))
            continue
        many = rule.digest or leads > ONE_BY_ONE_UP_TO
        hits = _best(session, waiting, SHOWN_IN_SUMMARY) if many else _each(session, waiting)
        for payload in _messages(rule, hits, settings=settings, digest=rule.digest, count=leads):
            _queue(session, rule, payload, now)
            report.messages += 1
        report.leads += leads
        session.execute(
            update(AlertHit).where(*waiting, AlertHit.id <= last_id).values(sent_at=now)
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
            queueing_lock=f"{ALERT_TASK}:later",
            run_after=report.next_at,
        )
    return report


def _held_until(rule: AlertRule, now: datetime, oldest: datetime) -> datetime | None:
    if rule.digest:
        due = next_digest(rule, oldest)
        return None if due <= now else due
    return quiet_until(rule, now)


def _each(session: Session, waiting: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The newest hit of each lead (a few: one message each)."""
    newest: dict[int, dict[str, Any]] = {}
    for lead_id, details in session.execute(
        select(AlertHit.lead_id, AlertHit.details).where(*waiting).order_by(AlertHit.id)
    ):
        newest.pop(lead_id, None)
        newest[lead_id] = {**details, "lead_id": lead_id}
    return list(newest.values())


def _best(session: Session, waiting: tuple[Any, ...], shown: int) -> list[dict[str, Any]]:
    """The best-scored leads among many hits (a bulk rescore can leave hundreds of
    thousands), ranked by the database."""
    rows = session.execute(
        select(AlertHit.lead_id, AlertHit.details)
        .where(*waiting)
        .order_by(AlertHit.score.desc().nulls_last(), AlertHit.id.desc())
        .limit(shown * 4)  # a lead may have met the rule more than once
    )
    best: dict[int, dict[str, Any]] = {}
    for lead_id, details in rows:
        if lead_id not in best and len(best) < shown:
            best[lead_id] = {**details, "lead_id": lead_id}
    return list(best.values())


def _messages(
    rule: AlertRule,
    hits: list[dict[str, Any]],
    *,
    settings: Settings,
    digest: bool,
    count: int,
) -> list[dict[str, Any]]:
    described = {"name": rule.name, "grades": rule.grades, "min_score": rule.min_score}
    public = settings.public_url
    if digest or count > ONE_BY_ONE_UP_TO:
        kind = "digest" if digest else "summary"
        return [
            alert_messages.many_leads(
                described, hits, public_url=public, form=rule.format, kind=kind, count=count
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
