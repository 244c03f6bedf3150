"""Rate windows shared by every worker: at most `calls` calls in any `seconds` per provider,
counted in the database by default or in Redis when one is configured.

Each window is a log of the calls let through (a sliding log): a call goes when fewer than
`calls` of them lie in the last `seconds`, else it waits until the oldest that counts leaves.
Fixed windows let twice the rate through across a boundary, and a weighted count of two windows
still lets far more through when calls bunch at a window's end; vendors answer both with 429s.
A log holds at most `calls` moments per provider, so it stays small.

A call reaches the vendor a little after it is counted (a busy worker's threads wait for the
interpreter, the network takes its time), and later by a varying amount: counted exactly, a
vendor could still see a few calls more than the limit in some window. So each call counts
for its window plus IN_FLIGHT. Measured at a fake vendor, with two workers of four threads each
on two busy cores, a 10-a-second limit saw 12 calls in its busiest second without it, 10 or 11
with 50 ms, and 10 with 100 ms, which costs a tenth of a second-long window's rate at most."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, delete, insert, select

from leadrank.db.engine import WRITES
from leadrank.enrichment.providers.base import RateLimit
from leadrank.orm import ProviderCall, ProviderState

MIN_WAIT = 0.01  # seconds: a full window is never reported as free "now"
IN_FLIGHT = 0.1  # seconds a call counts beyond its window, for the way to the vendor


def counted_for(limit: RateLimit) -> float:
    """How long one call counts against `limit`, in seconds."""
    return limit.seconds + IN_FLIGHT


class RateWindow(Protocol):
    """Counts calls per provider in sliding windows."""

    def take(self, provider: str, limit: RateLimit, clock: Callable[[], datetime]) -> float:
        """0 when a call may go now (it is counted), else the seconds until the window has room.
        The time is read from `clock` as late as possible: a call counted at a moment earlier
        than it really goes leaves the window early and lets another through too soon."""
        ...


class DatabaseWindow:
    """The log in `provider_calls`. A worker holds the provider's `provider_states` row (FOR
    UPDATE on PostgreSQL; SQLite lets one writer in at a time) while it counts and adds, so
    concurrent workers never both take the last call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def take(self, provider: str, limit: RateLimit, clock: Callable[[], datetime]) -> float:
        """0 when a call may go now (it is counted), else the seconds until the window has room."""
        span = timedelta(seconds=counted_for(limit))
        calls = ProviderCall
        # On SQLite it takes the write lock first (BEGIN IMMEDIATE), as a read transaction
        # cannot become a write one while another writer commits.
        with (
            self.engine.connect() as connection,
            connection.execution_options(**{WRITES: True}).begin(),
        ):
            connection.execute(
                select(ProviderState.provider)
                .where(ProviderState.provider == provider)
                .with_for_update()
            ).one()
            now = clock()  # once the row is ours: time spent waiting for it is not counted
            connection.execute(
                delete(calls).where(calls.provider == provider, calls.called_at <= now - span)
            )
            recent = (
                connection.execute(
                    select(calls.called_at)
                    .where(calls.provider == provider)
                    .order_by(calls.called_at.desc())
                    .limit(limit.calls)
                )
                .scalars()
                .all()
            )
            if len(recent) < limit.calls:
                connection.execute(insert(calls).values(provider=provider, called_at=now))
                return 0.0
        # Full: the next call goes when the oldest of the last `calls` calls leaves the window.
        return max(MIN_WAIT, (recent[-1] + span - now).total_seconds())


# Atomic in Redis: drop the calls that left the window, then add this one if there is room,
# else answer when there will be. Numbers go back as strings: Redis truncates Lua numbers.
TAKE_SCRIPT = """
local key, now, span = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local calls, member = tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
local count = redis.call('ZCARD', key)
if count < calls then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(span * 1000) + 1000)
  return 'taken'
end
local oldest = redis.call('ZRANGE', key, count - calls, count - calls, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + span - now)
"""


class RedisWindow:
    """The log as a sorted set of call moments per provider, expiring once the window is idle."""

    def __init__(self, client: Any, *, prefix: str = "leadrank:rate") -> None:
        self.client, self.prefix = client, prefix
        self._take = client.register_script(TAKE_SCRIPT)

    @classmethod
    def from_url(cls, url: str) -> RedisWindow:
        """A window on the Redis server at `url`."""
        import redis

        return cls(redis.Redis.from_url(url))

    def take(self, provider: str, limit: RateLimit, clock: Callable[[], datetime]) -> float:
        """0 when a call may go now (it is counted), else the seconds until the window has room."""
        key = f"{self.prefix}:{provider}:{limit.seconds:g}"
        moment = clock().timestamp()
        member = f"{moment:.6f}:{uuid.uuid4().hex}"  # two calls at one moment are two calls
        answer = self._take(keys=[key], args=[moment, counted_for(limit), limit.calls, member])
        if answer in (b"taken", "taken"):
            return 0.0
        return max(MIN_WAIT, float(answer))
