"""Each provider's state as operators see it: configured or not, its breaker, its rate limit and
how much of it is in use, today's credits against its budget, its recent attempts and its last
error. Shared by `leadrank enrich providers`, the API and the web app's /providers page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.enrichment.gate import REFUSALS
from leadrank.enrichment.providers.base import RateLimit
from leadrank.enrichment.providers.registry import (
    VENDORS,
    configured_vendors,
    documented_limits,
    rate_limits,
    waterfall_order,
)
from leadrank.orm import EnrichmentAttempt, ProviderSpend, ProviderState

RATE_SECONDS = 60.0  # the window "current rate" counts in for a provider without a limit
ERROR_DAYS = 7  # how far back the last error is looked for (older ones say little of health)
# Attempts that never reached the vendor: answered from the cache, or refused by the gate.
_NOT_CALLED = frozenset({"cached", *REFUSALS})
_FAILED = frozenset({"retriable", "permanent", "error"})


class ProviderHealth(BaseModel):
    """One provider's state."""

    provider: str
    configured: bool  # the built-in always; a vendor when its key is set
    breaker: str  # closed | open | half_open
    failures: int  # in a row
    credits_today: float
    daily_budget: float | None  # None: the offline provider costs nothing
    attempts_24h: dict[str, int]  # by status
    waterfall: dict[str, int] = {}  # field group -> its place in that group's order (1 first)
    rate_calls: int | None = None  # at most this many calls ...
    rate_seconds: float | None = None  # ... in this many seconds; None: no limit
    calls_in_window: int = 0  # calls let through in the last rate window (or minute)
    breaker_opened_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None

    @property
    def calls_24h(self) -> int:
        """Attempts in 24 h that reached the provider (not cached, not refused by the gate)."""
        return sum(n for status, n in self.attempts_24h.items() if status not in _NOT_CALLED)

    @property
    def failures_24h(self) -> int:
        """Attempts in 24 h that ended in an error."""
        return sum(n for status, n in self.attempts_24h.items() if status in _FAILED)

    @property
    def refused_24h(self) -> int:
        """Attempts in 24 h the gate refused (breaker open, over budget, rate limited)."""
        return sum(n for status, n in self.attempts_24h.items() if status in REFUSALS)


def provider_health(session: Session, *, settings: Settings) -> list[ProviderHealth]:
    """The built-in provider and every vendor, configured or not, in waterfall order."""
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
    limits: dict[str, RateLimit] = {**documented_limits(), **rate_limits(settings)}
    configured = {"builtin", *configured_vendors(settings)}
    budgets, default = settings.enrichment_daily_credits, settings.enrichment_default_daily_credits
    known = ("builtin", *VENDORS)
    health = []
    for name in (n for n in waterfall_order(settings) if n in known):
        state, limit = states.get(name), limits.get(name)
        error = _last_error(session, name, since=now - timedelta(days=ERROR_DAYS))
        health.append(
            ProviderHealth(
                provider=name,
                configured=name in configured,
                breaker=state.breaker if state else "closed",
                failures=state.failures if state else 0,
                credits_today=spend.get(name, 0.0),
                daily_budget=None if name == "builtin" else budgets.get(name, default),
                attempts_24h=recent.get(name, {}),
                waterfall={
                    group: names.index(name) + 1
                    for group, names in settings.enrichment_waterfall.items()
                    if name in names
                },
                rate_calls=limit.calls if limit else None,
                rate_seconds=limit.seconds if limit else None,
                calls_in_window=_calls_since(
                    session, name, now - timedelta(seconds=limit.seconds if limit else RATE_SECONDS)
                ),
                breaker_opened_at=state.opened_at if state and state.breaker != "closed" else None,
                last_error=error[0] if error else None,
                last_error_at=error[1] if error else None,
            )
        )
    return health


def _calls_since(session: Session, provider: str, since: datetime) -> int:
    """Calls made to `provider` since `since` (each try of each attempt that reached it)."""
    total = session.scalar(
        select(func.coalesce(func.sum(EnrichmentAttempt.tries), 0)).where(
            EnrichmentAttempt.provider == provider,
            EnrichmentAttempt.created_at >= since,
            EnrichmentAttempt.status.not_in(_NOT_CALLED),
        )
    )
    return int(total or 0)


def _last_error(session: Session, provider: str, *, since: datetime) -> tuple[str, datetime] | None:
    """The newest error `provider` gave since `since`, and when."""
    found = session.execute(
        select(EnrichmentAttempt.error, EnrichmentAttempt.created_at)
        .where(
            EnrichmentAttempt.provider == provider,
            EnrichmentAttempt.created_at >= since,
            EnrichmentAttempt.error.is_not(None),
        )
        .order_by(EnrichmentAttempt.created_at.desc(), EnrichmentAttempt.id.desc())
        .limit(1)
    ).first()
    return (str(found[0]), found[1]) if found else None
