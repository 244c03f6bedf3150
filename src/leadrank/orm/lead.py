"""Silver leads: a person at a company, merged from every record that names them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, EncodedJson, JsonType, UtcDateTime


class Lead(Base):
    """A canonical lead. `provenance` maps each field to [import_id, row_number] of its value."""

    __tablename__ = "leads"
    __table_args__ = (
        # The worklist's filters by country, and by country and seniority: counted and paged
        # from the index instead of every lead.
        Index("ix_leads_country_seniority", "country_code", "seniority"),
        # A merged lead's id must never be given to another: undoing the merge brings it back.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("companies.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    email_valid: Mapped[bool | None] = mapped_column(Boolean)
    email_free_mail: Mapped[bool | None] = mapped_column(Boolean)
    email_disposable: Mapped[bool | None] = mapped_column(Boolean)
    email_role: Mapped[bool | None] = mapped_column(Boolean)
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    first_name: Mapped[str | None] = mapped_column(Text)
    last_name: Mapped[str | None] = mapped_column(Text)
    full_name: Mapped[str | None] = mapped_column(Text)
    job_title: Mapped[str | None] = mapped_column(Text)
    seniority: Mapped[str | None] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(32))
    linkedin_url: Mapped[str | None] = mapped_column(Text)
    # Where later records look for this person's near-duplicates: the sounds of both names in
    # either order, nicknames as their full name, at the lead's company (else in its country):
    # "R163|S530@42" for Bob Smith and Robert Smyth at company 42.
    match_block: Mapped[str | None] = mapped_column(String(48), index=True)
    city: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(Text)
    country_code: Mapped[str | None] = mapped_column(String(2))
    company_name: Mapped[str | None] = mapped_column(Text)
    company_domain: Mapped[str | None] = mapped_column(String(253))
    lead_source: Mapped[str | None] = mapped_column(Text)
    lead_status: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(Text)  # who in the team works the lead
    # How the owner came: "routing:<rule>", "hubspot", "salesforce", "import", "manual".
    owner_source: Mapped[str | None] = mapped_column(String(120))
    owner_assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    source_created_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    quality_score: Mapped[float | None] = mapped_column(Float)
    issues: Mapped[list[str]] = mapped_column(EncodedJson)
    attributes: Mapped[dict[str, Any]] = mapped_column(EncodedJson)
    provenance: Mapped[dict[str, Any]] = mapped_column(EncodedJson)
    # Per field an enrichment provider set: {provider, at, confidence, value[, replaced]}. Kept
    # apart from `provenance`, which imports rewrite; it counts while `value` is still there.
    enrichment: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    sources: Mapped[list[str]] = mapped_column(EncodedJson)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LeadKey(Base):
    """An exact identity key of a lead (email, LinkedIn URL, phone, a source's record id, ...)."""

    __tablename__ = "lead_keys"
    # Keyed by the key itself: on SQLite one B-tree holds the rows and the lookup order.
    __table_args__ = ({"sqlite_with_rowid": False},)

    key_type: Mapped[str] = mapped_column(String(16), primary_key=True)  # email|linkedin|ext|...
    key_value: Mapped[str] = mapped_column(String(400), primary_key=True)
    lead_id: Mapped[int] = mapped_column(BigId, ForeignKey("leads.id"), index=True)
