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

from sqlalchemy import Engine, Row, select, update

from leadrank.enrichment.providers.base import Provider, RateLimit
from leadrank.enrichment.windows import DatabaseWindow, RateWindow
from leadrank.kit.sql import insert_missing, table_of
from leadrank.orm import ProviderSpend, ProviderState

BREAKER_FAILURES = 5  # failures in a row that open a provider's breaker
BREAKER_COOLDOWN = 30.0  # seconds an open breaker refuses calls before one trial goes through
REFUSALS = ("breaker_open", "over_budget", "rate_limited")


@dataclass(frozen=True)
class Admission:
    """Whether a call may go now: `refused` names why not; `reserved` credits are held for it
    on `day`, the UTC day they are counted in whenever the call ends."""

    refused: str | None = None
    reserved: float = 0.0
    day: str = ""
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
        """Wait (up to `max_wait` seconds) for the vendor's Retry-After and the rate window,
        with the breaker closed and the call's credits reserved; a refusal holds nothing.
        Cheap refusals come first, so a lead never waits for a window only to be refused."""
        name = provider.name
        self._ensure(name)
        waited, state = 0.0, self._state(name)
        pause = 0.0 if state.resume_at is None else (state.resume_at - self.clock()).total_seconds()
        if pause > 0:
            if pause > max_wait:
                return Admission("rate_limited")
            self.sleep(pause)
            waited += pause
        # Open (or its trial under way) within the cooldown: refused before anything is held.
        cooling = self.clock() - timedelta(seconds=self.cooldown)
        if state.breaker != "closed" and state.opened_at and state.opened_at > cooling:
            return Admission("breaker_open", waited=waited)
        day, cost = self.clock().date().isoformat(), provider.cost_per_call
        held = Admission(None, reserved=cost, day=day)
        if cost > 0 and not self._reserve(name, cost, day):
            return Admission("over_budget", waited=waited)
        limit = self.rate_limits.get(name, provider.rate_limit)
        while limit is not None and (wait := self.window.take(name, limit, self.clock)) > 0:
            if waited + wait > max_wait:
                self._release(name, held)
                return Admission("rate_limited", waited=waited)
            self.sleep(wait)
            waited += wait
        if not self._breaker_allows(name):  # opened meanwhile, or another took the trial
            self._release(name, held)
            return Admission("breaker_open", waited=waited)
        return Admission(None, reserved=cost, day=day, waited=waited)

    def succeeded(self, provider: str, admission: Admission, *, cost: float) -> None:
        """A call answered (found or not): close the breaker, charge what it really cost."""
        state = ProviderState
        with self.engine.begin() as connection:
            connection.execute(  # a no-op on the usual, healthy row: no write on every call
                update(state)
                .where(
                    state.provider == provider, (state.failures > 0) | (state.breaker != "closed")
                )
                .values(failures=0, breaker="closed", opened_at=None)
            )
        if cost != admission.reserved:
            self._spend(provider, cost - admission.reserved, calls=0, day=admission.day)

    def failed(
        self,
        provider: str,
        admission: Admission,
        *,
        retry_after: float | None,
        counts: bool = True,
    ) -> None:
        """A call failed: give its credits back and keep the vendor's Retry-After. When it
        `counts` against the vendor (down, slow, refusing the key; not a refusal of one
        query), the breaker opens after enough failures in a row, or at once after a trial."""
        now = self.clock()
        values: dict[str, object] = {}
        if counts:
            values["failures"] = ProviderState.failures + 1
        if retry_after is not None and retry_after > 0:
            values["resume_at"] = now + timedelta(seconds=retry_after)
        if values:
            with self.engine.begin() as connection:
                connection.execute(
                    update(ProviderState).where(ProviderState.provider == provider).values(**values)
                )
                if counts:
                    connection.execute(
                        update(ProviderState)
                        .where(
                            ProviderState.provider == provider,
                            (ProviderState.failures >= self.failures_to_open)
                            | (ProviderState.breaker == "half_open"),
                        )
                        .values(breaker="open", opened_at=now)
                    )
        elif self._state(provider).breaker == "half_open":
            # A trial that proved nothing about the vendor: let the next caller try at once.
            with self.engine.begin() as connection:
                connection.execute(
                    update(ProviderState)
                    .where(ProviderState.provider == provider, ProviderState.breaker == "half_open")
                    .values(breaker="open", opened_at=now - timedelta(seconds=self.cooldown))
                )
        if admission.reserved:  # vendors charge answers, not failures; the call still counts
            self._spend(provider, -admission.reserved, calls=0, day=admission.day)

    # --- the parts ---------------------------------------------------------------------
    def _ensure(self, provider: str) -> None:
        if provider in self._known:
            return
        with self.engine.begin() as connection:
            insert_missing(
                connection,
                table_of(ProviderState),
                [{"provider": provider, "breaker": "closed", "failures": 0}],
            )
        self._known.add(provider)

    def _state(self, provider: str) -> Row[datetime | None, str, datetime | None]:
        """The provider's Retry-After moment and breaker, as every worker sees them now."""
        state = ProviderState
        with self.engine.connect() as connection:
            return connection.execute(
                select(state.resume_at, state.breaker, state.opened_at).where(
                    state.provider == provider
                )
            ).one()

    def _breaker_allows(self, provider: str) -> bool:
        """Closed: yes. Open past its cooldown: one caller gets a trial (half open); a trial
        never heard of again (its worker died) is given to another after a cooldown."""
        if self._state(provider).breaker == "closed":
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

    def _release(self, provider: str, admission: Admission) -> None:
        """Give back what an admission reserved."""
        if admission.reserved:
            self._spend(provider, -admission.reserved, calls=-1, day=admission.day)

    def _reserve(self, provider: str, cost: float, day: str) -> bool:
        """Hold `cost` credits of the day's budget, if they fit in it."""
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

    def _spend(self, provider: str, credits: float, *, calls: int, day: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(ProviderSpend)
                .where(ProviderSpend.provider == provider, ProviderSpend.day == day)
                .values(credits=ProviderSpend.credits + credits, calls=ProviderSpend.calls + calls)
            )
