"""Rate windows shared by every worker: at most `calls` calls per `seconds` per provider, in
fixed windows, counted in the database by default or in Redis when one is configured."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, case, or_, select, update

from leadrank.enrichment.providers.base import RateLimit
from leadrank.orm import ProviderState

MIN_WAIT = 0.01  # seconds: a full window is never reported as free "now"


class RateWindow(Protocol):
    """Counts calls per provider in fixed windows."""

    def take(self, provider: str, limit: RateLimit, now: datetime) -> float:
        """0 when a call may go now (it is counted), else the seconds until the window has room."""
        ...


class DatabaseWindow:
    """The window in the provider's `provider_states` row, counted by one conditional update:
    atomic on SQLite and PostgreSQL, so concurrent workers never both take the last call, and
    one that waited on another's new window re-checks against it (READ COMMITTED re-reads)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def take(self, provider: str, limit: RateLimit, now: datetime) -> float:
        """0 when a call may go now (it is counted), else the seconds until the window has room."""
        state = ProviderState
        expired = or_(
            state.window_started_at.is_(None),
            state.window_started_at <= now - timedelta(seconds=limit.seconds),
        )
        with self.engine.begin() as connection:
            counted = connection.execute(
                update(state)
                .where(state.provider == provider, or_(expired, state.window_calls < limit.calls))
                .values(
                    window_started_at=case((expired, now), else_=state.window_started_at),
                    window_calls=case((expired, 1), else_=state.window_calls + 1),
                )
            )
            if counted.rowcount:
                return 0.0
            started = connection.scalar(
                select(state.window_started_at).where(state.provider == provider)
            )
        if started is None:  # pragma: no cover - a full window has a start
            return MIN_WAIT
        return max(MIN_WAIT, (started - now).total_seconds() + limit.seconds)


class RedisWindow:
    """The window as a Redis counter per provider and window, expiring with it."""

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
        key = f"{self.prefix}:{provider}:{limit.seconds:g}:{index}"
        pipeline = self.client.pipeline()
        pipeline.incr(key)
        pipeline.expire(key, math.ceil(limit.seconds) + 1)
        count, _ = pipeline.execute()
        if int(count) <= limit.calls:
            return 0.0
        return max(MIN_WAIT, (index + 1) * limit.seconds - moment)
