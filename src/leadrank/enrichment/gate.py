"""Each provider's shared limits: a rate window, the vendor's own Retry-After, a circuit
breaker and a daily credit budget, kept in the database (the rate window in Redis when one is
configured) so every worker on every machine obeys the same ones.

Every check is a short transaction of its own, never the caller's: no transaction stays open
while a vendor is called, and on SQLite no job's write lock blocks them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update

from leadrank.enrichment.providers.base import Provider, RateLimit
from leadrank.enrichment.windows import DatabaseWindow, RateWindow
from leadrank.kit.sql import insert_missing, table_of
from leadrank.orm import ProviderSpend, ProviderState

BREAKER_FAILURES = 5  # failures in a row that open a provider's breaker
BREAKER_COOLDOWN = 30.0  # seconds an open breaker refuses calls before one trial goes through
REFUSALS = ("breaker_open", "over_budget", "rate_limited")


@dataclass(frozen=True)
class Admission:
    """Whether a call may go now: `refused` names why not; `reserved` credits are held for it."""

    refused: str | None = None
    reserved: float = 0.0
    waited: float = 0.0


class ProviderGate:
    """Lets calls through to providers within their shared limits, and learns from each."""

    def __init__(
        self,
        engine: Engine,
        *,
        budget_of: Callable[[str], float],
        rate_limits: dict[str, RateLimit] | None = None,
        window: RateWindow | None = None,
        failures_to_open: int = BREAKER_FAILURES,
        cooldown_seconds: float = BREAKER_COOLDOWN,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine, self.budget_of = engine, budget_of
        self.rate_limits = rate_limits or {}
        self.window = window or DatabaseWindow(engine)
        self.failures_to_open, self.cooldown = failures_to_open, cooldown_seconds
        self.clock, self.sleep = clock, sleep
        self._known: set[str] = set()

    def admit(self, provider: Provider, *, max_wait: float) -> Admission:
        """Wait (up to `max_wait` seconds) for the provider's rate and Retry-After, reserve the
        call's credits and ask its breaker; a refusal holds nothing."""
        name = provider.name
        self._ensure(name)
        waited = 0.0
        pause = self._paused_for(name)
        if pause > 0:
            if pause > max_wait:
                return Admission("rate_limited")
            self.sleep(pause)
            waited += pause
        limit = self.rate_limits.get(name, provider.rate_limit)
        while limit is not None and (wait := self.window.take(name, limit, self.clock())) > 0:
            if waited + wait > max_wait:
                return Admission("rate_limited", waited=waited)
            self.sleep(wait)
            waited += wait
        cost = provider.cost_per_call
        if cost > 0 and not self._reserve(name, cost):
            return Admission("over_budget", waited=waited)
        if not self._breaker_allows(name):
            self._spend(name, -cost, calls=-1)
            return Admission("breaker_open", waited=waited)
        return Admission(None, reserved=cost, waited=waited)

    def succeeded(self, provider: str, *, reserved: float, cost: float) -> None:
        """A call answered (found or not): close the breaker, charge what it really cost."""
        with self.engine.begin() as connection:
            connection.execute(
                update(ProviderState)
                .where(ProviderState.provider == provider)
                .values(failures=0, breaker="closed", opened_at=None)
            )
        if cost != reserved:
            self._spend(provider, cost - reserved, calls=0)

    def failed(self, provider: str, *, reserved: float, retry_after: float | None) -> None:
        """A call failed: give its credits back, count the failure (the breaker opens after
        enough in a row, or at once after a failed trial), and keep the vendor's Retry-After."""
        now = self.clock()
        values: dict[str, object] = {"failures": ProviderState.failures + 1}
        if retry_after is not None and retry_after > 0:
            values["resume_at"] = now + timedelta(seconds=retry_after)
        with self.engine.begin() as connection:
            connection.execute(
                update(ProviderState).where(ProviderState.provider == provider).values(**values)
            )
            connection.execute(
                update(ProviderState)
                .where(
                    ProviderState.provider == provider,
                    (ProviderState.failures >= self.failures_to_open)
                    | (ProviderState.breaker == "half_open"),
                )
                .values(breaker="open", opened_at=now)
            )
        if reserved:
            self._spend(provider, -reserved, calls=0)

    # --- the parts ---------------------------------------------------------------------
    def _ensure(self, provider: str) -> None:
        if provider in self._known:
            return
        with self.engine.begin() as connection:
            insert_missing(
                connection,
                table_of(ProviderState),
                [{"provider": provider, "window_calls": 0, "breaker": "closed", "failures": 0}],
            )
        self._known.add(provider)

    def _paused_for(self, provider: str) -> float:
        with self.engine.connect() as connection:
            resume_at = connection.scalar(
                select(ProviderState.resume_at).where(ProviderState.provider == provider)
            )
        return 0.0 if resume_at is None else (resume_at - self.clock()).total_seconds()

    def _breaker_allows(self, provider: str) -> bool:
        """Closed: yes. Open for a cooldown: no; after it, one caller gets a trial (half open),
        and a trial never heard of again (its worker died) is given to another after a cooldown."""
        with self.engine.connect() as connection:
            breaker = connection.scalar(
                select(ProviderState.breaker).where(ProviderState.provider == provider)
            )
        if breaker == "closed":
            return True
        now = self.clock()
        with self.engine.begin() as connection:
            trial = connection.execute(
                update(ProviderState)
                .where(
                    ProviderState.provider == provider,
                    ProviderState.breaker.in_(("open", "half_open")),
                    ProviderState.opened_at <= now - timedelta(seconds=self.cooldown),
                )
                .values(breaker="half_open", opened_at=now)
            )
        return bool(trial.rowcount)

    def _reserve(self, provider: str, cost: float) -> bool:
        """Hold `cost` credits of today's budget, if they fit in it."""
        day = self.clock().date().isoformat()
        budget = self.budget_of(provider)
        with self.engine.begin() as connection:
            insert_missing(
                connection,
                table_of(ProviderSpend),
                [{"provider": provider, "day": day, "credits": 0.0, "calls": 0}],
            )
            held = connection.execute(
                update(ProviderSpend)
                .where(
                    ProviderSpend.provider == provider,
                    ProviderSpend.day == day,
                    ProviderSpend.credits + cost <= budget,
                )
                .values(credits=ProviderSpend.credits + cost, calls=ProviderSpend.calls + 1)
            )
        return bool(held.rowcount)

    def _spend(self, provider: str, credits: float, *, calls: int) -> None:
        day = self.clock().date().isoformat()
        with self.engine.begin() as connection:
            connection.execute(
                update(ProviderSpend)
                .where(ProviderSpend.provider == provider, ProviderSpend.day == day)
                .values(credits=ProviderSpend.credits + credits, calls=ProviderSpend.calls + calls)
            )
