"""Identity resolution in the workspace: merges of leads (undoable), pairs of leads and of
companies for a person to review, the keys of companies merged into others, and the match
weights learnt from the workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, JsonType, UtcDateTime


class LeadMerge(Base):
    """One lead folded into another. `snapshot` holds what undoing it needs: both rows as they
    were, and the keys, bronze records and events that moved."""

    __tablename__ = "lead_merges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kept_lead_id: Mapped[int] = mapped_column(BigId, ForeignKey("leads.id"), index=True)
    merged_lead_id: Mapped[int] = mapped_column(BigId, index=True)  # its row is gone until undone
    match_score: Mapped[float | None] = mapped_column(Float)
    decided_by: Mapped[str] = mapped_column(String(100))  # "auto" or "review:<who>"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JsonType)


class PairDecision:
    """What a pair waiting for a person's decision carries: how likely a match, why, and the
    decision once made."""

    match_score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(16))  # pending | same | different
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))


class LeadReview(PairDecision, Base):
    """A pair of leads that may be one person: pending until someone decides, and the decision
    then holds for every later import."""

    __tablename__ = "lead_reviews"
    __table_args__ = (
        UniqueConstraint("lead_a", "lead_b"),
        Index("ix_lead_reviews_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_a: Mapped[int] = mapped_column(BigId)  # the smaller id
    lead_b: Mapped[int] = mapped_column(BigId, index=True)


class CompanyReview(PairDecision, Base):
    """Two companies that may be one organisation (a name written another way that the
    comparisons could not settle): pending until someone decides."""

    __tablename__ = "company_reviews"
    __table_args__ = (
        UniqueConstraint("company_a", "company_b"),
        Index("ix_company_reviews_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_a: Mapped[int] = mapped_column(BigId)  # the smaller id
    company_b: Mapped[int] = mapped_column(BigId, index=True)


class CompanyAlias(Base):
    """Another match key of a company: a name the comparisons found to be it ("name:akzo
    nobel" for "Akzo Nobel N.V."), or the key of a company folded into it. Rows that carry the
    key join the company at once."""

    __tablename__ = "company_aliases"

    match_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    company_id: Mapped[int] = mapped_column(BigId, ForeignKey("companies.id"), index=True)
    # The id a folded company had: what a lead merge made before the fold refers to.
    folded_id: Mapped[int | None] = mapped_column(BigId, index=True)
    match_score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)  # why the key is this company's
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MatchWeights(Base):
    """Fellegi-Sunter weights learnt from the workspace's own leads."""

    __tablename__ = "match_weights"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    trained_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lead_count: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JsonType)
