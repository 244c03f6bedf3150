"""Owner routing: the rule sets (each version kept, one active) and the round-robin turns of
each team."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, JsonType, UtcDateTime


class RoutingRuleset(Base):
    """One version of the routing rules, as written (YAML) and as parsed."""

    __tablename__ = "routing_rulesets"
    __table_args__ = (
        Index(
            "uq_routing_rulesets_active",
            "active",
            unique=True,
            sqlite_where=text("active = 1"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    text: Mapped[str] = mapped_column(Text)  # the YAML as given
    rules: Mapped[dict[str, Any]] = mapped_column(JsonType)  # parsed and checked
    active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))


class RoutingTurn(Base):
    """Whose turn it is next in a team's round robin."""

    __tablename__ = "routing_turns"

    team: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
