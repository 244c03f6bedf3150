"""What leadrank knows of the CRMs it syncs with: which of their records are which leads and
companies (and what was last pushed to each), how far each pull got, and which leads went to
which outreach campaign."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, JsonType, UtcDateTime


class CrmLink(Base):
    """A CRM record (a HubSpot contact or company, a Salesforce Lead, Contact or Account) and
    the lead or company it is in leadrank; `pushed` holds the values last accepted by the CRM,
    so a push sends only what changed since."""

    __tablename__ = "crm_links"
    __table_args__ = (
        Index("ix_crm_links_lead", "lead_id"),
        Index("ix_crm_links_company", "company_id"),
    )

    vendor: Mapped[str] = mapped_column(String(20), primary_key=True)  # hubspot | salesforce
    object_type: Mapped[str] = mapped_column(String(20), primary_key=True)  # contacts | Lead ...
    remote_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("leads.id", ondelete="SET NULL"))
    company_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("companies.id", ondelete="SET NULL")
    )
    pushed: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    pushed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    push_error: Mapped[str | None] = mapped_column(Text)  # the CRM's refusal of the last push
    # The record's modification time the CRM gave when it took the last push: a pull that
    # finds the record modified at exactly that time finds leadrank's own write, not news.
    remote_modified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SyncState(Base):
    """How far pulls of one CRM object type got (the newest modification time seen), and how
    the last pull and push went."""

    __tablename__ = "sync_states"

    vendor: Mapped[str] = mapped_column(String(20), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    modified_through: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_pull_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_push_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_result: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class CampaignPush(Base):
    """A lead added to an outreach campaign: each lead goes to a campaign once."""

    __tablename__ = "campaign_pushes"

    vendor: Mapped[str] = mapped_column(String(20), primary_key=True)  # instantly
    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lead_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    remote_id: Mapped[str | None] = mapped_column(String(64))  # the vendor's id of the lead
    outcome: Mapped[str] = mapped_column(String(20))  # added | already_there | skipped | invalid
    pushed_at: Mapped[datetime] = mapped_column(UtcDateTime)
