"""Events: timestamped facts about a lead (campaign, web, meetings, deals, custom)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, EncodedJson, UtcDateTime

EVENT_KEY_CHARS = 200


class Event(Base):
    """One event of one lead; outcomes (deal_won, deal_lost) are events too. An event its
    source names (`event_key`: an event id, or a connector's key for it) is stored once per
    source, however many times and by whichever way it arrives."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_lead_time", "lead_id", "occurred_at"),
        Index(
            "uq_events_source_key",
            "source",
            "event_key",
            unique=True,
            sqlite_where=text("event_key IS NOT NULL"),
            postgresql_where=text("event_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(BigId, ForeignKey("leads.id"))
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(100))
    properties: Mapped[dict[str, Any]] = mapped_column(EncodedJson)
    record_id: Mapped[int] = mapped_column(BigId, ForeignKey("bronze_records.id"), unique=True)
    event_key: Mapped[str | None] = mapped_column(String(EVENT_KEY_CHARS))
