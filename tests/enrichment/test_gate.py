"""Shared provider limits: rate windows, Retry-After, circuit breakers and credit budgets are
the same for every worker (two gates on one database stand for two workers)."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from leadrank.enrichment.gate import ProviderGate
from leadrank.enrichment.providers.base import RateLimit
from leadrank.enrichment.providers.fake import FakeProvider
from leadrank.enrichment.windows import IN_FLIGHT, RedisWindow
from leadrank.orm import ProviderCall, ProviderSpend, ProviderState
from tests.conftest import Workspace, redis_up


class Clock:
    """Time that moves only when slept through."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += timedelta(seconds=seconds)


def _gates(
    workspace: Workspace, clock: Clock, budget: float = 100.0, **options: object
) -> list[ProviderGate]:
    return [
        ProviderGate(
            workspace.engine,
            budget_of=lambda _: budget,
            clock=clock,
            sleep=clock.sleep,
            **options,  # type: ignore[arg-type]
        )
        for _ in range(2)
    ]


def test_the_rate_window_is_shared_and_waited_for(workspace: Workspace) -> None:
    clock = Clock()
    first, second = _gates(workspace, clock)
    vendor = FakeProvider("vendor", rate_limit=RateLimit(3, 10), cost_per_call=0.0)
    admitted = [gate.admit(vendor, max_wait=30).refused for gate in (first, second, first)]
    assert admitted == [None, None, None] and clock.slept == []
    # The fourth call waits, whichever worker makes it, until the first three leave the window
    # (and a moment more, for calls still on their way to the vendor).
    assert second.admit(vendor, max_wait=30).refused is None
    assert clock.slept == [pytest.approx(10 + IN_FLIGHT)]
    # Unless waiting is longer than the caller can afford.
    for gate in (first, second):
        gate.admit(vendor, max_wait=30)
    assert first.admit(vendor, max_wait=1).refused == "rate_limited"


def test_a_vendors_retry_after_holds_every_worker(workspace: Workspace) -> None:
    clock = Clock()
    first, second = _gates(workspace, clock)
    vendor = FakeProvider("vendor", cost_per_call=0.0)
    first.failed("vendor", first.admit(vendor, max_wait=30), retry_after=5)
    assert second.admit(vendor, max_wait=2).refused == "rate_limited"
    assert second.admit(vendor, max_wait=30).refused is None and clock.slept == [5.0]


def test_the_breaker_opens_refuses_then_lets_one_trial_through(workspace: Workspace) -> None:
    clock = Clock()
    first, second = _gates(workspace, clock, failures_to_open=3, cooldown_seconds=30)
    vendor = FakeProvider("vendor", cost_per_call=0.0)
    for _ in range(3):
        admission = first.admit(vendor, max_wait=0)
        assert admission.refused is None
        first.failed("vendor", admission, retry_after=None)
    assert second.admit(vendor, max_wait=0).refused == "breaker_open"
    clock.now += timedelta(seconds=31)
    trial = first.admit(vendor, max_wait=0)
    assert trial.refused is None  # the one trial
    assert second.admit(vendor, max_wait=0).refused == "breaker_open"  # only one at a time
    first.failed("vendor", trial, retry_after=None)  # the trial failed: open again
    assert second.admit(vendor, max_wait=0).refused == "breaker_open"
    clock.now += timedelta(seconds=31)
    trial = second.admit(vendor, max_wait=0)
    assert trial.refused is None
    second.succeeded("vendor", trial, cost=0.0)  # closed again
    assert [g.admit(vendor, max_wait=0).refused for g in (first, second)] == [None, None]
    with workspace.engine.connect() as connection:
        state = connection.execute(select(ProviderState)).one()
    assert state.breaker == "closed" and state.failures == 0


def test_a_trial_whose_worker_died_goes_to_another_after_a_cooldown(workspace: Workspace) -> None:
    clock = Clock()
    first, second = _gates(workspace, clock, failures_to_open=1, cooldown_seconds=30)
    vendor = FakeProvider("vendor", cost_per_call=0.0)
    first.failed("vendor", first.admit(vendor, max_wait=0), retry_after=None)
    clock.now += timedelta(seconds=31)
    assert first.admit(vendor, max_wait=0).refused is None  # trial taken, never reported
    assert second.admit(vendor, max_wait=0).refused == "breaker_open"
    clock.now += timedelta(seconds=31)
    assert second.admit(vendor, max_wait=0).refused is None


def test_the_budget_stops_spending_and_failures_are_not_charged(workspace: Workspace) -> None:
    clock = Clock()
    first, second = _gates(workspace, clock, budget=3.0)
    vendor = FakeProvider("vendor", cost_per_call=1.0)
    one = first.admit(vendor, max_wait=0)
    assert one.reserved == 1.0
    first.failed("vendor", one, retry_after=None)  # refunded
    for gate in (first, second, first):
        admission = gate.admit(vendor, max_wait=0)
        assert admission.refused is None
        gate.succeeded("vendor", admission, cost=1.0)
    assert second.admit(vendor, max_wait=0).refused == "over_budget"
    with workspace.engine.connect() as connection:
        spend = connection.execute(select(ProviderSpend)).one()
    assert (spend.day, spend.credits) == ("2026-12-02", 3.0)
    # A new day, a new budget.
    clock.now += timedelta(days=1)
    assert first.admit(vendor, max_wait=0).refused is None


def test_a_miss_costs_what_the_vendor_charged(workspace: Workspace) -> None:
    clock = Clock()
    gate, _ = _gates(workspace, clock, budget=10.0)
    vendor = FakeProvider("vendor", cost_per_call=2.0)
    admission = gate.admit(vendor, max_wait=0)
    gate.succeeded("vendor", admission, cost=0.0)
    with workspace.engine.connect() as connection:
        assert connection.execute(select(ProviderSpend.credits)).scalar_one() == 0.0


@pytest.mark.skipif(not redis_up(), reason="needs Redis on 127.0.0.1:6379")
def test_the_redis_window_is_shared_too() -> None:
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379)
    prefix = f"leadrank-test:{uuid.uuid4().hex}"  # this test's own keys
    workers = [RedisWindow(client, prefix=prefix), RedisWindow(client, prefix=prefix)]
    limit = RateLimit(2, 60)
    now = datetime(2026, 12, 2, 12, 0, 30, tzinfo=UTC)

    def at(seconds: int) -> Callable[[], datetime]:
        return lambda: now + timedelta(seconds=seconds)

    try:
        assert [w.take("vendor", limit, at(0)) for w in workers] == [0.0, 0.0]
        # Full: the next call goes when the first two leave the window, whoever asks.
        assert workers[0].take("vendor", limit, at(0)) == pytest.approx(60 + IN_FLIGHT)
        assert workers[1].take("vendor", limit, at(31)) == pytest.approx(29 + IN_FLIGHT)
        assert workers[1].take("vendor", limit, at(61)) == 0.0
        assert workers[0].take("vendor", limit, at(61)) == 0.0
        assert workers[0].take("vendor", limit, at(62)) == pytest.approx(59 + IN_FLIGHT)
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_workers_at_the_same_moment_share_one_window(workspace: Workspace) -> None:
    """Eight threads on their own gates take a window of 5 at once: exactly 5 go."""
    gates = [ProviderGate(workspace.engine, budget_of=lambda _: 100.0) for _ in range(8)]
    vendor = FakeProvider("vendor", rate_limit=RateLimit(5, 60), cost_per_call=0.0)
    gates[0].admit(vendor, max_wait=0)  # the row exists before the race
    barrier = threading.Barrier(8)

    def take(gate: ProviderGate) -> list[str | None]:
        barrier.wait()
        return [gate.admit(vendor, max_wait=0).refused for _ in range(3)]

    with ThreadPoolExecutor(8) as pool:
        results = [r for rs in pool.map(take, gates) for r in rs]
    assert results.count(None) == 4 and results.count("rate_limited") == 20


def test_a_reservation_made_before_midnight_is_settled_on_its_day(workspace: Workspace) -> None:
    clock = Clock()
    clock.now = clock.now.replace(hour=23, minute=59, second=59)
    gate, _ = _gates(workspace, clock, budget=5.0)
    vendor = FakeProvider("vendor", cost_per_call=2.0)
    admission = gate.admit(vendor, max_wait=0)
    clock.now += timedelta(seconds=2)  # the answer comes after midnight
    gate.succeeded("vendor", admission, cost=0.0)
    with workspace.engine.connect() as connection:
        spent = dict(connection.execute(select(ProviderSpend.day, ProviderSpend.credits)).all())
    assert spent == {"2026-12-02": 0.0}


def test_a_refused_query_does_not_open_the_breaker(workspace: Workspace) -> None:
    clock = Clock()
    gate, _ = _gates(workspace, clock, failures_to_open=2)
    vendor = FakeProvider("vendor", cost_per_call=1.0)
    for _ in range(5):
        gate.failed("vendor", gate.admit(vendor, max_wait=0), retry_after=None, counts=False)
    assert gate.admit(vendor, max_wait=0).refused is None
    with workspace.engine.connect() as connection:
        assert connection.execute(select(ProviderSpend.credits)).scalar_one() == 1.0


def test_no_stretch_of_the_window_sees_more_than_the_limit(workspace: Workspace) -> None:
    """Calls in bunches after pauses of every length, the pattern that fools counting windows:
    no 10 s stretch holds more than the limit, and a call waits only while it would."""
    clock = Clock()
    gate, _ = _gates(workspace, clock)
    vendor = FakeProvider("vendor", rate_limit=RateLimit(5, 10), cost_per_call=0.0)
    pauses = random.Random(7).choices([0.0, 0.0, 0.3, 2.5, 7.9, 9.7, 14.0], k=80)
    moments: list[float] = []
    for pause in pauses:
        clock.now += timedelta(seconds=pause)
        asked = clock.now.timestamp()
        assert gate.admit(vendor, max_wait=60).refused is None
        moments.append(clock.now.timestamp())
        if moments[-1] > asked:  # it waited: the 10 s before were full until that moment
            assert sum(1 for m in moments[:-1] if moments[-1] - 10 - IN_FLIGHT - 1e-3 <= m) == 5
    busiest = max(sum(1 for m in moments if start <= m < start + 10) for start in moments)
    assert busiest == 5


def test_the_log_keeps_only_the_calls_that_still_count(workspace: Workspace) -> None:
    clock = Clock()
    gate, _ = _gates(workspace, clock)
    vendor = FakeProvider("vendor", rate_limit=RateLimit(3, 10), cost_per_call=0.0)
    for _ in range(12):
        gate.admit(vendor, max_wait=60)
        clock.now += timedelta(seconds=1)
    with workspace.engine.connect() as connection:
        kept = connection.execute(select(func.count()).select_from(ProviderCall)).scalar_one()
    assert kept == 3  # the last three: 1 s apart, within the 10 s window
