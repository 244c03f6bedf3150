"""Enrichment state: cached provider answers, every attempt made, and each provider's shared
limits (recent calls, circuit breaker, daily spend), which every worker reads and updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, JsonType, UtcDateTime


class EnrichmentCacheEntry(Base):
    """A provider's answer to one query for one field group, kept until `expires_at`; a
    "not found" is kept too, so nobody pays twice to learn it again."""

    __tablename__ = "enrichment_cache"

    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    field_group: Mapped[str] = mapped_column(String(16), primary_key=True)
    query_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the query
    fields: Mapped[dict[str, Any]] = mapped_column(JsonType)
    confidence: Mapped[float] = mapped_column(Float)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class EnrichmentAttempt(Base):
    """One try of one provider for one lead or company: what happened, how long, what it cost."""

    __tablename__ = "enrichment_attempts"
    __table_args__ = (
        Index("ix_enrichment_attempts_entity", "entity", "entity_id"),
        Index("ix_enrichment_attempts_provider_time", "provider", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))  # lead | company
    entity_id: Mapped[int] = mapped_column(BigId)
    provider: Mapped[str] = mapped_column(String(40))
    field_group: Mapped[str] = mapped_column(String(16))
    # found | not_found | cached | retriable | permanent | breaker_open | over_budget | rate_limited
    status: Mapped[str] = mapped_column(String(16))
    tries: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float)
    fields: Mapped[dict[str, Any] | None] = mapped_column(JsonType)  # what the provider said
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProviderState(Base):
    """A provider's shared state: its circuit breaker and the vendor's Retry-After. Its row
    is also what a worker locks while it counts the provider's recent calls."""

    __tablename__ = "provider_states"

    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    breaker: Mapped[str] = mapped_column(String(16), default="closed")  # closed|open|half_open
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Not before this moment: the vendor's own Retry-After, for every worker.
    resume_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ProviderCall(Base):
    """One call let through to a provider, kept while it lies within the provider's rate
    window: the rate limit counts these."""

    __tablename__ = "provider_calls"
    __table_args__ = (Index("ix_provider_calls_provider_time", "provider", "called_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    called_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProviderSpend(Base):
    """Credits spent (and reserved by calls under way) per provider per UTC day."""

    __tablename__ = "provider_spend"

    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    credits: Mapped[float] = mapped_column(Float, default=0.0)
    calls: Mapped[int] = mapped_column(Integer, default=0)
