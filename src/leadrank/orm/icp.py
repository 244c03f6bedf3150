"""Stored ideal customer profiles: every saved edit is a new version; one is in use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, JsonType, UtcDateTime


class IcpProfile(Base):
    """One version of a named profile (the document `leadrank icp show` reads from a file)."""

    __tablename__ = "icp_profiles"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        # Scoring reads one profile: at most one version of any profile is active at a time.
        Index(
            "uq_icp_profiles_active",
            "active",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JsonType)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
