"""Lanes every worker shares: the rate windows the enrichment providers use (in the database,
or in Redis when one is configured) count each lane's calls, and a vendor's Retry-After is
kept on the lane's `provider_states` row, so all workers hold off together.

Each turn and each hold is a short transaction of its own: no caller's transaction stays
open while a lane waits, and on SQLite no long job blocks them for long."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update

from leadrank.config import Settings
from leadrank.connectors.pacing import Lane
from leadrank.enrichment.providers.base import RateLimit
from leadrank.enrichment.windows import DatabaseWindow, RateWindow, RedisWindow
from leadrank.kit.sql import insert_missing, table_of
from leadrank.orm import ProviderState


class SharedPace:
    """A `Pace` whose lanes hold for every process of the workspace."""

    def __init__(
        self,
        engine: Engine,
        window: RateWindow,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine, self.window, self.clock, self.sleep = engine, window, clock, sleep
        self._known: set[str] = set()

    @classmethod
    def of(cls, engine: Engine, settings: Settings) -> SharedPace:
        """The workspace's lanes: Redis when configured, else the database."""
        window: RateWindow = (
            RedisWindow.from_url(settings.redis_url)
            if settings.redis_url
            else DatabaseWindow(engine)
        )
        return cls(engine, window)

    def wait_turn(self, lane: Lane) -> float:
        self._ensure(lane.name)
        waited = 0.0
        while True:
            held = self._held_for(lane.name)
            if held > 0:
                self.sleep(held)
                waited += held
                continue
            wait = self.window.take(lane.name, RateLimit(lane.calls, lane.seconds), self.clock)
            if wait <= 0:
                return waited
            self.sleep(wait)
            waited += wait

    def hold(self, lane: Lane, seconds: float) -> None:
        self._ensure(lane.name)
        until = self.clock() + timedelta(seconds=seconds)
        state = ProviderState
        with self.engine.begin() as connection:
            connection.execute(
                update(state)
                .where(
                    state.provider == lane.name,
                    (state.resume_at.is_(None)) | (state.resume_at < until),
                )
                .values(resume_at=until)
            )

    def _held_for(self, name: str) -> float:
        with self.engine.connect() as connection:
            resume = connection.execute(
                select(ProviderState.resume_at).where(ProviderState.provider == name)
            ).scalar()
        if resume is None:
            return 0.0
        if resume.tzinfo is None:
            resume = resume.replace(tzinfo=UTC)
        return max(0.0, (resume - self.clock()).total_seconds())

    def _ensure(self, name: str) -> None:
        if name in self._known:
            return
        with self.engine.begin() as connection:
            insert_missing(
                connection,
                table_of(ProviderState),
                [{"provider": name, "breaker": "closed", "failures": 0}],
            )
        self._known.add(name)
