"""The cost of an API key's rate limit per request: the per-process bucket leadrank had before
against the shared bucket (leases from the database, SQLite or PostgreSQL, or from Redis).

Usage: python benchmarks/rate_limits.py [--seconds 2] [--database-url postgresql://...]
       [--redis-url redis://127.0.0.1:6379/0]

Requests arrive exactly at the key's rate on a clock the benchmark moves (1/rate seconds a
request), so leases are taken as a server at that rate would take them; the figure is how
many such requests one thread gets through its rate limit a second of real time, and how many
of them asked the shared store. A key of 600,000 a minute (10,000 a second, the scoring API's
measured peak) stands for a busy key; one of 6,000 (the default) for an ordinary one. The last
rows ask the store for every request (a lease of one token), as a low limit does.
"""

from __future__ import annotations

import argparse
import math
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadrank.auth import limits
from leadrank.auth.buckets import DatabaseBuckets, Grant, RedisBuckets, SharedBuckets
from leadrank.auth.keys import Principal
from leadrank.auth.limits import RateLimiter
from leadrank.db.engine import build_engine
from leadrank.db.migrate import upgrade
from leadrank.db.scratch import scratch_postgres
from leadrank.errors import RateLimited


class Clock:
    """Seconds since the epoch, moved by the benchmark."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Counted:
    """A store that counts the leases asked of it."""

    store: SharedBuckets
    calls: int = 0

    def take(self, prefix: str, **how: Any) -> Grant:
        self.calls += 1
        return self.store.take(prefix, **how)

    def close(self) -> None:
        self.store.close()


def before(clock: Clock) -> Callable[[Principal], None]:
    """The per-process token bucket of the guard before shared limits (one worker)."""
    buckets: dict[str, list[float]] = {}

    def spend(principal: Principal) -> None:
        rate = principal.requests_per_minute / 60
        capacity = max(1.0, rate * limits.BURST_SECONDS)
        now = clock()
        bucket = buckets.setdefault(principal.prefix, [capacity, now])
        bucket[0] = min(capacity, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if bucket[0] < 1:
            raise RateLimited("over", retry_after=max(1, math.ceil((1 - bucket[0]) / rate)))
        bucket[0] -= 1

    return spend


def measure(
    spend: Callable[[Principal], None], clock: Clock, per_minute: int, seconds: float
) -> tuple[float, int]:
    """Requests a second of real time, and refusals, at the key's own rate."""
    key = Principal(f"k{per_minute}", "scorer", per_minute)
    step = 60 / per_minute
    done = refused = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(1_000):
            clock.now += step
            try:
                spend(key)
            except RateLimited:
                refused += 1
        done += 1_000
        if time.perf_counter() > deadline:
            break
    return done / (time.perf_counter() - started), refused


@contextmanager
def sqlite_url() -> Iterator[str]:
    """A migrated SQLite workspace of its own."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'leadrank.db'}"
        engine = build_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


def shared_rows(name: str, make: Callable[[], SharedBuckets], seconds: float) -> None:
    """One store: a busy key, an ordinary key, and a lease every request."""
    for per_minute, label in ((600_000, "busy key"), (6_000, "default key")):
        clock = Clock()
        store = Counted(make())
        limiter = RateLimiter(store, clock=clock)
        rate, refused = measure(limiter.spend, clock, per_minute, seconds)
        share = store.calls / (rate * seconds)
        row(f"{name}, {label} {per_minute:,}/min", rate, refused, f"{share:.2%} ask the store")
        store.close()
    clock = Clock()
    store = Counted(make())
    limiter = RateLimiter(store, clock=clock)
    lease, limits.LEASE_SECONDS = limits.LEASE_SECONDS, 0.0  # a lease of one token
    try:
        rate, refused = measure(limiter.spend, clock, 600_000, seconds)
    finally:
        limits.LEASE_SECONDS = lease
    row(f"{name}, a lease every request", rate, refused, "every request asks the store")
    store.close()


def row(name: str, rate: float, refused: int, note: str) -> None:
    print(f"{name:<40} {rate:>12,.0f} {1e6 / rate:>8.2f}  {refused:>7}  {note}")


def redis_up(url: str) -> bool:
    from redis.connection import parse_url

    where = parse_url(url)
    try:
        socket.create_connection((where["host"], where.get("port", 6379)), timeout=0.5).close()
    except OSError:
        return False
    return True


def main() -> None:
    """Print requests a second through the rate limit, per store."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--database-url", help="a PostgreSQL server to measure too")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    print(f"{'store, key':<40} {'requests/s':>12} {'µs each':>8}  {'refused':>7}")
    clock = Clock()
    rate, refused = measure(before(clock), clock, 600_000, args.seconds)
    row("before: per-process bucket, busy key", rate, refused, "no store")
    with sqlite_url() as url:
        engine = build_engine(url)
        shared_rows("SQLite", lambda: DatabaseBuckets(engine), args.seconds)
        engine.dispose()
    if args.database_url:
        with scratch_postgres(args.database_url, prefix="leadrank_bench") as url:
            engine = build_engine(url)
            shared_rows("PostgreSQL", lambda: DatabaseBuckets(engine), args.seconds)
            engine.dispose()
    if redis_up(args.redis_url):
        import redis

        prefix = f"leadrank-bench:{uuid.uuid4().hex}"  # the benchmark's own keys
        shared_rows(
            "Redis",
            lambda: RedisBuckets(redis.Redis.from_url(args.redis_url), prefix=prefix),
            args.seconds,
        )
        with redis.Redis.from_url(args.redis_url) as client:
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)
    else:
        print(f"Redis: nothing answers at {args.redis_url}")


if __name__ == "__main__":
    main()
