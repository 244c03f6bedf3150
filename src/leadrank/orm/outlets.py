"""What leaves leadrank on its own: the outbox of messages, the webhook endpoints and alert
rules that receive them, and each delivery's fate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, JsonType, UtcDateTime


class WebhookEndpoint(Base):
    """A URL subscribed to some event types. Its signing secret is kept to sign every
    delivery (a receiver checks the signature with the same secret); it is shown only once,
    when the endpoint is added, and never listed."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JsonType)
    secret: Mapped[str] = mapped_column(String(100))  # whsec_ + base64 of 32 random bytes
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))
    # While a receiver fails, none of its deliveries is tried before this moment: one attempt
    # at a time finds out whether it is back, not one per waiting message.
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AlertRule(Base):
    """Post a message to a chat webhook (Slack's incoming-webhook form, or plain JSON) when a
    lead enters one of `grades` or its score reaches `min_score`."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(Text)  # a Slack incoming-webhook URL is itself a secret
    format: Mapped[str] = mapped_column(String(10))  # slack | json
    grades: Mapped[list[str]] = mapped_column(JsonType, default=list)
    min_score: Mapped[float | None] = mapped_column(Float)
    digest: Mapped[bool] = mapped_column(default=False)  # one message a day instead
    digest_hour: Mapped[int] = mapped_column(Integer, default=8)  # in `timezone`
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "22:00", in `timezone`
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(60), default="UTC")
    last_digest_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))


class AlertHit(Base):
    """A lead that met an alert rule, waiting to be told (alone, in a summary, or in the
    day's digest)."""

    __tablename__ = "alert_hits"
    __table_args__ = (Index("ix_alert_hits_rule_waiting", "rule_id", "sent_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(BigId)
    score: Mapped[float | None] = mapped_column(Float)  # to name the best of many in SQL
    details: Mapped[dict[str, Any]] = mapped_column(JsonType)  # the event's data
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboxMessage(Base):
    """One message to send, written in the same transaction as the change it tells of: an
    event for webhook endpoints, or an alert's text. `key` orders messages that must arrive
    in order (those of one lead)."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)  # webhook-id: msg_...
    event_type: Mapped[str] = mapped_column(String(40))
    key: Mapped[str | None] = mapped_column(String(60))  # lead:42, model:acme, import:7
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class Delivery(Base):
    """A message on its way to one endpoint or alert rule: pending until the receiver answers
    2xx, retried with backoff, dead when the retries are spent (and replayable)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index(
            "ix_deliveries_pending",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_deliveries_endpoint_key", "endpoint_id", "key", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    key: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10))  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)  # the receiver's HTTP status
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
