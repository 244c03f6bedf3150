"""Events: timestamped facts about a lead (campaign, web, meetings, deals, custom)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, EncodedJson, UtcDateTime


class Event(Base):
    """One event of one lead; outcomes (deal_won, deal_lost) are events too."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_lead_time", "lead_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(BigId, ForeignKey("leads.id"))
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(100))
    properties: Mapped[dict[str, Any]] = mapped_column(EncodedJson)
    record_id: Mapped[int] = mapped_column(BigId, ForeignKey("bronze_records.id"), unique=True)
