"""API key rate limits hold across processes: each Guard here stands for one API process, and
they share one token bucket per key in the database or in Redis, spent in leases."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import structlog
from sqlalchemy import select
from starlette.requests import Request
from structlog.testing import capture_logs

from leadrank.auth.buckets import (
    DatabaseBuckets,
    Grant,
    MemoryBuckets,
    RedisBuckets,
    SharedBuckets,
)
from leadrank.auth.guard import Guard
from leadrank.auth.keys import Principal, create_key
from leadrank.auth.limits import ALONE_SECONDS, LEASE_LIFETIME
from leadrank.db.engine import WRITES, session_scope
from leadrank.errors import Forbidden, RateLimited
from leadrank.orm import RateBucket
from tests.conftest import CliResult, Workspace, redis_up
from tests.server import Server, free_port

LOW = Principal("lowkey01", "scorer", 120)  # 2 a second, a burst of 20
LEADS = {"leads": [{"form_fills": 2, "seniority_level": "vp"}]}


class Clock:
    """Wall time that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Counted:
    """A shared store that counts how often it is asked."""

    store: SharedBuckets
    calls: int = 0

    def take(self, prefix: str, **how: Any) -> Grant:
        self.calls += 1
        return self.store.take(prefix, **how)

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def guards() -> Iterator[list[Guard]]:
    """The guards a test makes, closed at its end."""
    made: list[Guard] = []
    yield made
    for guard in made:
        guard.close()


@pytest.fixture
def auth_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MutableMapping[str, Any]]]:
    """What leadrank.auth logs during the test, at every level, however other tests in this
    process left logging set up."""
    from leadrank.auth import limits

    before = structlog.get_config()
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        cache_logger_on_first_use=False,
    )
    monkeypatch.setattr(limits, "log", structlog.get_logger("leadrank.auth"))
    try:
        with capture_logs() as entries:
            yield entries
    finally:
        structlog.configure(
            wrapper_class=before["wrapper_class"],
            cache_logger_on_first_use=before["cache_logger_on_first_use"],
        )


def _passes(guard: Guard, key: Principal, times: int) -> int:
    passed = 0
    for _ in range(times):
        try:
            guard.limiter.spend(key)
            passed += 1
        except RateLimited:
            pass
    return passed


def _share_one_burst(processes: list[Guard], clock: Clock) -> None:
    """Two processes asking in turn get the burst together, then the rate."""
    first, second = processes
    assert sum(_passes(p, LOW, 1) for _ in range(15) for p in processes) == 20
    with pytest.raises(RateLimited) as refused:
        second.limiter.spend(LOW)
    assert refused.value.retry_after == 1  # half a second to the next token
    clock.now += 0.5
    assert _passes(first, LOW, 3) + _passes(second, LOW, 3) == 1
    clock.now += 60  # a full bucket again, never more
    assert sum(_passes(p, LOW, 1) for _ in range(15) for p in processes) == 20


def test_two_processes_on_one_database_never_pass_more_than_the_burst(
    workspace: Workspace, guards: list[Guard]
) -> None:
    clock = Clock()
    guards += [Guard(workspace.engine, clock=clock) for _ in range(2)]
    _share_one_burst(guards, clock)
    with workspace.engine.connect() as connection:
        assert connection.execute(select(RateBucket.prefix)).scalars().all() == [LOW.prefix]


def test_racing_processes_share_a_high_limit_exactly(
    workspace: Workspace, guards: list[Guard]
) -> None:
    """Two processes of four threads each spend a key of 100 a second (a burst of 1,000) at
    one moment: exactly 1,000 pass, in far fewer visits to the database."""
    clock = Clock()
    stores = [Counted(DatabaseBuckets(workspace.engine)) for _ in range(2)]
    guards += [Guard(workspace.engine, clock=clock, buckets=store) for store in stores]
    key = Principal("highkey1", "scorer", 6_000)
    barrier = threading.Barrier(8)

    def spend(guard: Guard) -> int:
        barrier.wait()
        return _passes(guard, key, 400)

    with ThreadPoolExecutor(8) as pool:
        passed = sum(pool.map(spend, [g for g in guards for _ in range(4)]))
    assert passed == 1_000
    assert sum(store.calls for store in stores) < 250


def test_leases_grow_with_use_and_stale_tokens_stay_spent(
    workspace: Workspace, guards: list[Guard]
) -> None:
    clock = Clock()
    store = Counted(DatabaseBuckets(workspace.engine))
    guards.append(Guard(workspace.engine, clock=clock, buckets=store))
    key = Principal("fastkey1", "scorer", 60_000)  # 1,000 a second: leases of up to 100
    assert _passes(guards[0], key, 1_000) == 1_000
    # 1, 2, 4 ... 64 tokens (127 in 7 leases), then 9 leases of 100: 27 tokens still held.
    assert store.calls == 16
    clock.now += LEASE_LIFETIME  # the 27 go stale; 250 tokens flow back in
    assert _passes(guards[0], key, 1) == 1
    assert store.calls == 17
    with workspace.engine.connect() as connection:
        tokens = connection.execute(select(RateBucket.tokens)).scalar_one()
    # 10,000 - 1,027 leased + 250 refilled - 73 (the next lease: what the stale one used)
    assert tokens == pytest.approx(9_150)


def test_a_key_used_at_a_trickle_by_many_processes_keeps_its_burst() -> None:
    """Four processes each get a request every tenth of a second for two minutes, 40 a second
    of a key's 100: leases shrink to what each process uses, so its burst is not wasted."""
    clock = Clock()
    shared = MemoryBuckets()  # the lease logic alone; the stores are tested apart
    guards = [Guard(None, clock=clock, buckets=shared) for _ in range(4)]
    key = Principal("tricklek", "scorer", 6_000)
    start = clock.now
    for tick in range(1_200):
        for number, guard in enumerate(guards):
            clock.now = start + tick / 10 + number / 40
            guard.limiter.spend(key)  # never refused
    left = shared.take(key.prefix, rate=100, capacity=1_000, want=1_000, now=clock.now).tokens
    assert left >= 950  # leases of a fixed 10 tokens would leave none


def test_a_refused_process_waits_before_asking_the_store_again(
    workspace: Workspace, guards: list[Guard]
) -> None:
    clock = Clock()
    store = Counted(DatabaseBuckets(workspace.engine))
    guards.append(Guard(workspace.engine, clock=clock, buckets=store))
    slow = Principal("slowkey1", "scorer", 6)  # one request in ten seconds
    guards[0].limiter.spend(slow)
    with pytest.raises(RateLimited) as refused:
        guards[0].limiter.spend(slow)
    assert refused.value.retry_after == 10 and store.calls == 2
    clock.now += 3
    for _ in range(2):
        with pytest.raises(RateLimited) as refused:
            guards[0].limiter.spend(slow)
        assert refused.value.retry_after == 7
    assert store.calls == 2, "refusals before the bucket can have room are answered from memory"
    clock.now += 7
    guards[0].limiter.spend(slow)
    assert store.calls == 3


def test_two_api_servers_on_one_database_share_a_key(
    cli: Callable[..., CliResult], start_server: Callable[..., Server]
) -> None:
    made = cli("keys", "create", "--role", "scorer", "--rate-limit", "12")  # a burst of 2
    key = made.stdout.strip().splitlines()[-1]
    servers = [start_server(), start_server()]
    answers = [
        server.client.post("/api/v1/score", json=LEADS, headers={"X-API-Key": key})
        for _ in range(3)
        for server in servers
    ]
    assert [a.status_code for a in answers].count(200) == 2, [a.status_code for a in answers]
    refused = answers[-1]
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 5
    assert refused.json()["error"]["code"] == "rate_limited"


def test_a_locked_database_falls_back_to_a_share_per_process(
    workspace: Workspace, guards: list[Guard], auth_logs: list[MutableMapping[str, Any]]
) -> None:
    """A long writer holds SQLite's write lock (or the key's row on PostgreSQL): requests are
    limited by each process alone, to its share, and one warning says so."""
    clock = Clock()
    guards.append(Guard(workspace.engine, workers=2, clock=clock))
    guards[0].limiter.spend(LOW)  # the key's row exists, with 19 tokens
    row = select(RateBucket.tokens).where(RateBucket.prefix == LOW.prefix).with_for_update()
    # On SQLite the transaction takes the write lock at its start; on PostgreSQL the row's.
    with workspace.engine.connect() as holder, holder.execution_options(**{WRITES: True}).begin():
        holder.execute(row)
        assert _passes(guards[0], LOW, 15) == 10  # alone, half the burst of 20
    assert [(entry["log_level"], entry["event"]) for entry in auth_logs] == [
        ("warning", "API key rate limits are per process until their store answers")
    ]
    clock.now += ALONE_SECONDS  # the database is asked again: its bucket is full by now
    assert _passes(guards[0], LOW, 25) == 20
    assert auth_logs[-1]["event"] == "API key rate limits are shared again"
    assert len(auth_logs) == 2


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix of the test's own, its keys removed at the end."""
    if not redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379)
    prefix = f"leadrank-test:{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def _redis_buckets(prefix: str) -> RedisBuckets:
    import redis

    return RedisBuckets(redis.Redis(host="127.0.0.1", port=6379), prefix=prefix)


def test_two_processes_on_one_redis_never_pass_more_than_the_burst(
    redis_prefix: str, guards: list[Guard]
) -> None:
    clock = Clock()
    stores = [_redis_buckets(redis_prefix) for _ in range(2)]
    guards += [Guard(None, clock=clock, buckets=store) for store in stores]
    _share_one_burst(guards, clock)
    ttl = stores[0].client.pttl(f"{redis_prefix}:{LOW.prefix}")
    assert 10_000 < ttl <= 11_000  # gone once it would be full again: 20 tokens at 2 a second


def test_racing_processes_share_a_high_limit_exactly_in_redis(
    redis_prefix: str, guards: list[Guard]
) -> None:
    clock = Clock()
    guards += [Guard(None, clock=clock, buckets=_redis_buckets(redis_prefix)) for _ in range(2)]
    key = Principal("highkey1", "scorer", 6_000)
    with ThreadPoolExecutor(8) as pool:
        passed = sum(
            pool.map(lambda g: _passes(g, key, 400), [g for g in guards for _ in range(4)])
        )
    assert passed == 1_000


def test_redis_down_falls_back_to_a_share_per_process(
    guards: list[Guard], auth_logs: list[MutableMapping[str, Any]]
) -> None:
    clock = Clock()
    store = Counted(RedisBuckets.from_url(f"redis://127.0.0.1:{free_port()}/0"))  # none there
    guards.append(Guard(None, workers=2, clock=clock, buckets=store))
    assert _passes(guards[0], LOW, 15) == 10  # half of the burst of 20
    clock.now += ALONE_SECONDS
    assert _passes(guards[0], LOW, 1) == 1
    assert store.calls == 2, "asked once, then again after ALONE_SECONDS"
    assert [entry["log_level"] for entry in auth_logs] == ["warning"], "one warning, not one a try"
    assert auth_logs[0]["store"] == "Redis (ConnectionError)"


def _request(key: str) -> Request:
    return Request({"type": "http", "headers": [(b"x-api-key", key.encode())], "state": {}})


def test_a_check_answers_from_memory_only_what_memory_holds(
    workspace: Workspace, guards: list[Guard]
) -> None:
    # The scoring lane answers on the event loop what memory holds, and hands the rest (a
    # key to look up, tokens to lease) to a thread: every request would wait on the store.
    with session_scope(workspace.engine) as session:
        key = create_key(session, role="scorer", requests_per_minute=60_000).key
        reader = create_key(session, role="reader").key
    clock = Clock()
    guards.append(Guard(workspace.engine, clock=clock))
    guard = guards[0]
    roles = ("scorer",)
    assert guard.check_in_memory(_request(key), roles) is None  # not looked up yet
    assert guard.check(_request(key), roles).role == "scorer"  # looked up; a lease of 1
    assert guard.check_in_memory(_request(key), roles) is None  # the lease is spent
    guard.check(_request(key), roles)  # a lease of 2: one for now, one held
    principal = guard.check_in_memory(_request(key), roles)
    assert principal is not None and principal.role == "scorer"
    assert guard.check_in_memory(_request("lr_00000000_junk"), roles) is None
    guard.check(_request(reader), ("reader",))
    assert guard.check_in_memory(_request(reader), roles) is None  # `check` says Forbidden
    with pytest.raises(Forbidden):
        guard.check(_request(reader), roles)
