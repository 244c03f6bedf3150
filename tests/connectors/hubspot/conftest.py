"""A fake HubSpot on 127.0.0.1 per test, and clients whose waits move a fake clock instead of
sleeping, through a pace that records the turns taken and the holds HubSpot asked for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from leadrank.connectors.hubspot.client import HubSpotClient
from leadrank.connectors.hubspot.fake import FAKE_TOKEN, FakeHubSpot, serve_fake
from leadrank.connectors.pacing import Lane, LocalPace
from tests.connectors.conftest import Naps

MakeClient = Callable[..., HubSpotClient]


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
def hubspot_fake() -> FakeHubSpot:
    """The fake's state, with its rate limits off so tests run at full speed."""
    return FakeHubSpot(rate_limits=False)


@pytest.fixture
def hubspot_url(hubspot_fake: FakeHubSpot) -> Iterator[str]:
    """The fake served on a free port of 127.0.0.1."""
    with serve_fake(hubspot_fake) as url:
        yield url


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """The HTTP client injected into HubSpot clients."""
    with httpx.Client(timeout=10.0) as client:
        yield client


@pytest.fixture
def naps() -> Naps:
    return Naps()


@pytest.fixture
def pace(naps: Naps) -> RecordingPace:
    """HubSpot's lanes kept on the fake clock: a wait for a turn or a hold is a recorded nap."""
    return RecordingPace(LocalPace(sleep=naps.sleep, clock=naps.clock))


@pytest.fixture
def hubspot(http: httpx.Client, hubspot_url: str, pace: RecordingPace, naps: Naps) -> MakeClient:
    """A HubSpot client of the fake, with options of the test's choosing."""

    def make(**options: object) -> HubSpotClient:
        settings: dict[str, object] = {
            "token": FAKE_TOKEN,
            "base_url": hubspot_url,
            "pace": pace,
            "sleep": naps.sleep,
            "clock": naps.clock,
            **options,
        }
        return HubSpotClient(http, **settings)  # type: ignore[arg-type]

    return make
