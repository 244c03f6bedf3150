"""Token buckets for API keys' rate limits, kept where every API process sees them: in the
workspace database by default (`rate_buckets`), or in Redis when LEADRANK_REDIS_URL is set.

A key's bucket holds at most `capacity` tokens and refills at `rate` a second. A process asks
for `want` tokens at once (a lease, see `limits.py`) and gets as many as are there, up to
`want`; tokens handed out are spent, whether or not the process uses them. A store that does
not answer raises StoreUnavailable, so the caller can decide what a request gets meanwhile.

Moments are seconds since the epoch from the calling process's clock: machines that share a
bucket must keep their clocks in sync (a clock ahead by a second lets at most a second of the
rate through early; a bucket never refills backwards).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine, event, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from leadrank.db.engine import WRITES, build_engine
from leadrank.kit.sql import insert_missing, table_of
from leadrank.orm import RateBucket

# How long a lease waits for SQLite's write lock (an import may hold it for minutes) or for a
# key's row on PostgreSQL before the store counts as unavailable.
BUSY_SECONDS = 0.2
CONNECT_SECONDS = 2  # PostgreSQL's shortest connect timeout
REDIS_SECONDS = 0.2  # how long a lease waits to connect to Redis, or for its answer
_ROUNDING = 1e-9  # 2.9999999999 tokens after sums of float refills are 3


class StoreUnavailable(Exception):
    """The shared store did not answer: down, unreachable, or locked by a long writer."""


@dataclass(frozen=True)
class Grant:
    """What a bucket gave: `tokens` (spent from now on), or none and the `wait` in seconds
    until the `want` asked for will be there."""

    tokens: int
    wait: float = 0.0


def take(
    tokens: float, updated: float, *, now: float, rate: float, capacity: float, want: int
) -> tuple[float, float, Grant]:
    """Refill a bucket that held `tokens` at `updated` up to `now`, and take up to `want`:
    the tokens left, the moment they were counted, and the grant."""
    if now > updated:
        tokens = min(capacity, tokens + (now - updated) * rate)
        updated = now
    granted = min(want, math.floor(tokens + _ROUNDING))
    if granted < 1:
        return tokens, updated, Grant(0, (min(want, capacity) - tokens) / rate)
    return max(0.0, tokens - granted), updated, Grant(granted)


class SharedBuckets(Protocol):
    """One token bucket per key prefix."""

    def take(self, prefix: str, *, rate: float, capacity: float, want: int, now: float) -> Grant:
        """Up to `want` tokens of the key's bucket (a new bucket starts full); raises
        StoreUnavailable when the store does not answer."""
        ...

    def close(self) -> None:
        """Let go of connections."""
        ...


class MemoryBuckets:
    """Buckets in this process only: what a process falls back to while the shared store is
    unavailable, and what tests and benchmarks compare with."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, prefix: str, *, rate: float, capacity: float, want: int, now: float) -> Grant:
        """Up to `want` tokens of the key's bucket in this process."""
        with self._lock:
            tokens, updated = self._buckets.get(prefix, (capacity, now))
            tokens, updated, grant = take(
                tokens, updated, now=now, rate=rate, capacity=capacity, want=want
            )
            self._buckets[prefix] = (tokens, updated)
        return grant

    def close(self) -> None:
        """Nothing to let go of."""


class DatabaseBuckets:
    """Buckets as rows of `rate_buckets`. A lease holds its key's row (FOR UPDATE on
    PostgreSQL; on SQLite it takes the write lock first) while it refills and takes, so two
    processes never both take the last token. It waits at most BUSY_SECONDS for either, then
    reports the store unavailable. Leases use an engine of their own (`_lease_engine`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = _lease_engine(engine)
        self._own_engine = self.engine is not engine

    def take(self, prefix: str, *, rate: float, capacity: float, want: int, now: float) -> Grant:
        """Up to `want` tokens of the key's row, made full if it has none yet."""
        try:
            return self._take(prefix, rate=rate, capacity=capacity, want=want, now=now)
        except (OperationalError, InterfaceError) as exc:  # locked, or the server is gone
            raise StoreUnavailable(f"the database ({type(exc.orig).__name__})") from exc
        except PoolTimeout as exc:  # every connection of the leases' pool is busy
            raise StoreUnavailable("the database (no free connection)") from exc

    def _take(self, prefix: str, *, rate: float, capacity: float, want: int, now: float) -> Grant:
        bucket = select(RateBucket.tokens, RateBucket.updated_at).where(RateBucket.prefix == prefix)
        with (
            self.engine.connect() as connection,
            connection.execution_options(**{WRITES: True}).begin(),
        ):
            row = connection.execute(bucket.with_for_update()).one_or_none()
            if row is None:
                full = {"prefix": prefix, "tokens": capacity, "updated_at": _moment(now)}
                insert_missing(connection, table_of(RateBucket), [full])  # or another's first
                row = connection.execute(bucket.with_for_update()).one()
            tokens, updated, grant = take(
                row.tokens,
                row.updated_at.timestamp(),
                now=now,
                rate=rate,
                capacity=capacity,
                want=want,
            )
            if grant.tokens:  # a refusal changes nothing: the refill is the same later
                connection.execute(
                    update(RateBucket)
                    .where(RateBucket.prefix == prefix)
                    .values(tokens=tokens, updated_at=_moment(updated))
                )
        return grant

    def close(self) -> None:
        """Close the engine made for leases (an engine passed in is the caller's)."""
        if self._own_engine:
            self.engine.dispose()


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _lease_engine(engine: Engine) -> Engine:
    """An engine of the leases' own on `engine`'s database, whose connections wait at most
    BUSY_SECONDS for a lock: SQLite's write lock, which an import may hold for minutes (other
    writers wait 30 seconds for it), or a key's row on PostgreSQL, held by a stuck process.
    On PostgreSQL they also commit without waiting for the disk (a lease took 5 ms on a busy
    test server, 1 ms without): a crash forgets at most its last moment's leases, and a bucket
    a little fuller for a moment does no harm."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and (not database or database == ":memory:"):
        return engine  # a database only this engine sees
    url = engine.url
    if url.get_backend_name() == "postgresql":  # a server that is gone: not the OS's minutes
        url = url.update_query_dict({"connect_timeout": str(CONNECT_SECONDS)})
    own = build_engine(url.render_as_string(hide_password=False))
    wait = int(BUSY_SECONDS * 1000)
    if own.dialect.name == "sqlite":
        settings = [f"PRAGMA busy_timeout={wait}"]
    else:
        settings = [f"SET lock_timeout = {wait}", "SET synchronous_commit = off"]

    def brief(dbapi_connection: Any, _record: Any) -> None:
        autocommit = getattr(dbapi_connection, "autocommit", None)
        if autocommit is False:  # psycopg: a SET outside any transaction holds for the session
            dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        for setting in settings:
            cursor.execute(setting)
        cursor.close()
        if autocommit is False:
            dbapi_connection.autocommit = False

    event.listen(own, "connect", brief)  # after build_engine's own pragmas, so it wins
    return own


# Atomic in Redis: refill the bucket, then take up to `want` tokens, or answer how long until
# `want` are there. Numbers go back as strings: Redis truncates Lua numbers to integers.
LEASE_SCRIPT = """
local key = KEYS[1]
local now, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local capacity, want = tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', key, 'tokens', 'updated')
local tokens, updated = tonumber(state[1]), tonumber(state[2])
if tokens == nil or updated == nil then
  tokens, updated = capacity, now
end
if now > updated then
  tokens = math.min(capacity, tokens + (now - updated) * rate)
  updated = now
end
local granted = math.min(want, math.floor(tokens + 1e-9))
if granted < 1 then
  return {'0', string.format('%.17g', (math.min(want, capacity) - tokens) / rate)}
end
tokens = math.max(0, tokens - granted)
redis.call('HSET', key, 'tokens', string.format('%.17g', tokens),
  'updated', string.format('%.17g', updated))
-- Full again, a bucket is the same as none: it goes once it would be.
redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {tostring(granted), '0'}
"""


class RedisBuckets:
    """Buckets as Redis hashes (tokens, updated), taken from by one atomic script."""

    def __init__(self, client: Any, *, prefix: str = "leadrank:key-rate") -> None:
        from redis.exceptions import RedisError

        self.client, self.prefix = client, prefix
        self._lease = client.register_script(LEASE_SCRIPT)
        self._failed = RedisError

    @classmethod
    def from_url(cls, url: str) -> RedisBuckets:
        """Buckets on the Redis server at `url`, which must answer within REDIS_SECONDS."""
        import redis

        return cls(
            redis.Redis.from_url(
                url, socket_connect_timeout=REDIS_SECONDS, socket_timeout=REDIS_SECONDS
            )
        )

    def take(self, prefix: str, *, rate: float, capacity: float, want: int, now: float) -> Grant:
        """Up to `want` tokens of the key's bucket, made full if it has none yet."""
        try:
            granted, wait = self._lease(
                keys=[f"{self.prefix}:{prefix}"], args=[repr(now), repr(rate), repr(capacity), want]
            )
        except self._failed as exc:
            raise StoreUnavailable(f"Redis ({type(exc).__name__})") from exc
        return Grant(int(granted), float(wait))

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()


def shared_buckets(engine: Engine, redis_url: str | None) -> SharedBuckets:
    """Redis at `redis_url` when one is given, else the database behind `engine`."""
    return RedisBuckets.from_url(redis_url) if redis_url else DatabaseBuckets(engine)
