"""A fake Instantly on 127.0.0.1 per test, and clients that record their waits instead of
sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from leadrank.connectors.instantly.client import InstantlyClient
from leadrank.connectors.instantly.fake import FAKE_API_KEY, FakeInstantly, serve_fake


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
    """The HTTP client injected into Instantly clients."""
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def naps() -> Naps:
    return Naps()


@pytest.fixture
def instantly(http: httpx.Client, instantly_url: str, naps: Naps) -> Callable[..., InstantlyClient]:
    """An Instantly client of the fake, with options of the test's choosing."""

    def make(**options: object) -> InstantlyClient:
        settings: dict[str, object] = {
            "api_key": FAKE_API_KEY,
            "base_url": instantly_url,
            "emails_per_minute": None,
            "sleep": naps.sleep,
            "clock": naps.clock,
            **options,
        }
        return InstantlyClient(http, **settings)  # type: ignore[arg-type]

    return make
