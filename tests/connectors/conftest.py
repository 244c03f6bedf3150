"""What the connector tests of every vendor share: a fake Instantly on 127.0.0.1 per test, the
HTTP client injected into vendor clients, and a fake clock their waits (backoff sleeps, a pace's
turns and holds) move instead of taking time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

import httpx
import pytest

from leadrank.connectors.instantly.client import InstantlyClient
from leadrank.connectors.instantly.fake import FAKE_API_KEY, FakeInstantly, serve_fake
from leadrank.connectors.pacing import Lane, LocalPace


@dataclass
class Naps:
    """A clock that only moves when the client sleeps, and the sleeps it asked for."""

    now: float = 1_000.0
    taken: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.taken.append(round(seconds, 3))
        self.now += seconds

    def clock(self) -> float:
        return self.now


@dataclass
class RecordingPace:
    """A `LocalPace` that also notes each turn taken and each hold, by lane name."""

    inner: LocalPace
    turns: list[str] = field(default_factory=list)
    holds: list[tuple[str, float]] = field(default_factory=list)

    def wait_turn(self, lane: Lane) -> float:
        self.turns.append(lane.name)
        return self.inner.wait_turn(lane)

    def hold(self, lane: Lane, seconds: float) -> None:
        self.holds.append((lane.name, seconds))
        self.inner.hold(lane, seconds)


@pytest.fixture
def fake() -> FakeInstantly:
    """The fake's state: its workspace, faults to come, and the requests it saw."""
    return FakeInstantly()


@pytest.fixture
def instantly_url(fake: FakeInstantly) -> Iterator[str]:
    """The fake served on a free port of 127.0.0.1."""
    with serve_fake(fake) as url:
        yield url


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """The HTTP client injected into vendor clients."""
    with httpx.Client(timeout=10.0) as client:
        yield client


@pytest.fixture
def naps() -> Naps:
    return Naps()


@pytest.fixture
def pace(naps: Naps) -> RecordingPace:
    """Lanes kept on the fake clock: a wait for a turn or a hold is a recorded nap."""
    return RecordingPace(LocalPace(sleep=naps.sleep, clock=naps.clock))


@pytest.fixture
def instantly(http: httpx.Client, instantly_url: str, naps: Naps) -> Callable[..., InstantlyClient]:
    """An Instantly client of the fake; a test's options override these."""
    return partial(
        InstantlyClient,
        http,
        api_key=FAKE_API_KEY,
        base_url=instantly_url,
        emails_per_minute=None,
        sleep=naps.sleep,
        clock=naps.clock,
    )
