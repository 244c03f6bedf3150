"""Each provider's state as operators see it: configured or not, its breaker, today's credits
against its budget and its recent attempts. Shared by `leadrank enrich providers` and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.enrichment.providers.registry import VENDORS, configured_vendors
from leadrank.orm import EnrichmentAttempt, ProviderSpend, ProviderState


class ProviderHealth(BaseModel):
    """One provider's state."""

    provider: str
    configured: bool  # the built-in always; a vendor when its key is set
    breaker: str  # closed | open | half_open
    failures: int  # in a row
    credits_today: float
    daily_budget: float | None  # None: the offline provider costs nothing
    attempts_24h: dict[str, int]  # by status


def provider_health(session: Session, *, settings: Settings) -> list[ProviderHealth]:
    """The built-in provider and every vendor, configured or not."""
    now = datetime.now(UTC)
    states = {s.provider: s for s in session.scalars(select(ProviderState))}
    spend = {
        s.provider: s.credits
        for s in session.scalars(
            select(ProviderSpend).where(ProviderSpend.day == now.date().isoformat())
        )
    }
    recent: dict[str, dict[str, int]] = {}
    for provider, status, count in session.execute(
        select(EnrichmentAttempt.provider, EnrichmentAttempt.status, func.count())
        .where(EnrichmentAttempt.created_at >= now - timedelta(days=1))
        .group_by(EnrichmentAttempt.provider, EnrichmentAttempt.status)
    ):
        recent.setdefault(provider, {})[status] = int(count)
    configured = {"builtin", *configured_vendors(settings)}
    budgets, default = settings.enrichment_daily_credits, settings.enrichment_default_daily_credits
    return [
        ProviderHealth(
            provider=name,
            configured=name in configured,
            breaker=states[name].breaker if name in states else "closed",
            failures=states[name].failures if name in states else 0,
            credits_today=spend.get(name, 0.0),
            daily_budget=None if name == "builtin" else budgets.get(name, default),
            attempts_24h=recent.get(name, {}),
        )
        for name in ("builtin", *VENDORS)
    ]
