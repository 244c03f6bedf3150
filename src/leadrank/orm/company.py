"""Silver companies: one row per organisation, keyed by registrable domain or name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, EncodedJson, JsonType, UtcDateTime


class Company(Base):
    """A canonical company with per-field provenance."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # "domain:acme.com" when the domain is known, else "name:acme"; exact-key merging uses it.
    match_key: Mapped[str] = mapped_column(String(300), unique=True)
    domain: Mapped[str | None] = mapped_column(String(253), index=True)
    # The comparable form of the name: rows that name the company without a domain find it.
    name_key: Mapped[str | None] = mapped_column(String(300), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    linkedin_url: Mapped[str | None] = mapped_column(Text)
    industry: Mapped[str | None] = mapped_column(Text)
    employees: Mapped[int | None] = mapped_column(BigInteger)
    employees_min: Mapped[int | None] = mapped_column(BigInteger)
    employees_max: Mapped[int | None] = mapped_column(BigInteger)
    revenue: Mapped[float | None] = mapped_column(Float)
    revenue_min: Mapped[float | None] = mapped_column(Float)
    revenue_max: Mapped[float | None] = mapped_column(Float)
    country_code: Mapped[str | None] = mapped_column(String(2))
    provenance: Mapped[dict[str, Any]] = mapped_column(EncodedJson)
    # Per field an enrichment provider set: {provider, at, confidence, value[, replaced]}. Kept
    # apart from `provenance`, which imports rewrite; it counts while `value` is still there.
    enrichment: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    # What enrichment found that has no column of its own (city, founding year, technologies).
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
