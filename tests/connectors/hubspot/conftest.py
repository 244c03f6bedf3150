"""A fake HubSpot on 127.0.0.1 per test, and clients of it on the fake clock and pace of
`tests/connectors/conftest.py`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import httpx
import pytest

from leadrank.connectors.hubspot.client import HubSpotClient
from leadrank.connectors.hubspot.fake import FAKE_TOKEN, FakeHubSpot, serve_fake
from tests.connectors.conftest import Naps, RecordingPace

MakeClient = Callable[..., HubSpotClient]


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
def hubspot(http: httpx.Client, hubspot_url: str, pace: RecordingPace, naps: Naps) -> MakeClient:
    """A HubSpot client of the fake; a test's options override these."""
    return partial(
        HubSpotClient,
        http,
        token=FAKE_TOKEN,
        base_url=hubspot_url,
        pace=pace,
        sleep=naps.sleep,
        clock=naps.clock,
    )
