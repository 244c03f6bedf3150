"""Rate windows shared by every worker: at most `calls` calls per `seconds` per provider,
counted in the database by default or in Redis when one is configured.

Windows slide: a call counts the current window's calls plus the previous window's, weighted
by how much of the previous window still lies within the last `seconds` (the sliding window
counter). Fixed windows let twice the rate through across a boundary, which vendors answer
with 429s; the weighted count keeps any `seconds`-long stretch close to the limit."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, select, update

from leadrank.db.engine import WRITES
from leadrank.enrichment.providers.base import RateLimit
from leadrank.orm import ProviderState

MIN_WAIT = 0.01  # seconds: a full window is never reported as free "now"


class RateWindow(Protocol):
    """Counts calls per provider in sliding windows."""

    def take(self, provider: str, limit: RateLimit, now: datetime) -> float:
        """0 when a call may go now (it is counted), else the seconds until the window has room."""
        ...


def weighted_wait(previous: int, current: int, elapsed: float, limit: RateLimit) -> float:
    """0 when one more call fits the sliding window, else the seconds until it does; `elapsed`
    is how far into the current window `now` is. With a limit of one or two calls it is
    cautious (one call a window can wait up to two), so write such rates as 60/60, not 1/1."""
    span = limit.seconds
    if previous * (1 - elapsed / span) + current + 1 <= limit.calls + 1e-6:  # float slack
        return 0.0
    if current + 1 <= limit.calls:  # the previous window's weight must fall far enough
        share = 1 - (limit.calls - current - 1) / previous
        return max(MIN_WAIT, share * span - elapsed)
    # Only in the next window, once this one's weight has fallen enough.
    share = 1 - (limit.calls - 1) / current if current else 0.0
    return max(MIN_WAIT, span - elapsed + share * span)


class DatabaseWindow:
    """The window in the provider's `provider_states` row, changed by compare-and-set: a
    worker writes only if the row is still as it read it, else reads again, so concurrent
    workers on SQLite or PostgreSQL never both take the last call."""

    def __init__(self, engine: Engine, *, tries: int = 20) -> None:
        self.engine, self.tries = engine, tries

    def take(self, provider: str, limit: RateLimit, now: datetime) -> float:
        """0 when a call may go now (it is counted), else the seconds until the window has room."""
        state = ProviderState
        span = timedelta(seconds=limit.seconds)
        for _ in range(self.tries):
            # It reads, then writes: on SQLite it takes the write lock first (BEGIN IMMEDIATE),
            # as a read transaction cannot become a write one while another writer commits.
            with (
                self.engine.connect() as connection,
                connection.execution_options(**{WRITES: True}).begin(),
            ):
                row = connection.execute(
                    select(
                        state.window_started_at, state.window_calls, state.window_previous_calls
                    ).where(state.provider == provider)
                ).one()
                started, current, previous = row
                if started is None or now >= started + 2 * span:
                    start, previous, current = now, 0, 0
                elif now >= started + span:  # the current window became the previous one
                    start, previous, current = started + span, current, 0
                else:
                    start = started
                wait = weighted_wait(previous, current, (now - start).total_seconds(), limit)
                if wait > 0:
                    return wait
                written = connection.execute(
                    update(state)
                    .where(
                        state.provider == provider,
                        state.window_started_at.is_not_distinct_from(row.window_started_at),
                        state.window_calls == row.window_calls,
                    )
                    .values(
                        window_started_at=start,
                        window_calls=current + 1,
                        window_previous_calls=previous,
                    )
                )
                if written.rowcount:
                    return 0.0
        return MIN_WAIT  # others kept changing it: try again in a moment


class RedisWindow:
    """The window as Redis counters per provider and window, expiring after the next one."""

    def __init__(self, client: Any, *, prefix: str = "leadrank:rate") -> None:
        self.client, self.prefix = client, prefix

    @classmethod
    def from_url(cls, url: str) -> RedisWindow:
        """A window on the Redis server at `url`."""
        import redis

        return cls(redis.Redis.from_url(url))

    def take(self, provider: str, limit: RateLimit, now: datetime) -> float:
        """0 when a call may go now (it is counted), else the seconds until the window has room."""
        moment = now.timestamp()
        index = math.floor(moment / limit.seconds)
        key = f"{self.prefix}:{provider}:{limit.seconds:g}"
        pipeline = self.client.pipeline()
        pipeline.incr(f"{key}:{index}")
        pipeline.expire(f"{key}:{index}", math.ceil(2 * limit.seconds) + 1)
        pipeline.get(f"{key}:{index - 1}")
        count, _, before = pipeline.execute()
        elapsed = moment - index * limit.seconds
        wait = weighted_wait(int(before or 0), int(count) - 1, elapsed, limit)
        if wait > 0:
            self.client.decr(f"{key}:{index}")  # not taken after all
        return wait
