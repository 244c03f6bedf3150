"""A fake Salesforce on 127.0.0.1 per test, and clients of it whose waits (backoff sleeps and
the pace's turns and holds) move a fake clock instead of taking time."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from leadrank.connectors.pacing import LocalPace
from leadrank.connectors.salesforce.client import SalesforceClient
from leadrank.connectors.salesforce.fake import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    FakeSalesforce,
    serve_fake,
)
from tests.connectors.conftest import Naps


@pytest.fixture
def org() -> FakeSalesforce:
    """The fake's state: its org, faults to come, and the requests it saw."""
    return FakeSalesforce()


@pytest.fixture
def salesforce_url(org: FakeSalesforce) -> Iterator[str]:
    """The fake served on a free port of 127.0.0.1: login and instance URL at once."""
    with serve_fake(org) as url:
        yield url


@pytest.fixture
def pace(naps: Naps) -> LocalPace:
    """A pace on the fake clock: its lane waits and 429 holds show up in `naps.taken`."""
    return LocalPace(sleep=naps.sleep, clock=naps.clock)


@pytest.fixture
def salesforce(
    http: httpx.Client, salesforce_url: str, naps: Naps, pace: LocalPace
) -> Callable[..., SalesforceClient]:
    """A Salesforce client of the fake, with options of the test's choosing."""

    def make(**options: object) -> SalesforceClient:
        settings: dict[str, object] = {
            "url": salesforce_url,
            "client_id": FAKE_CLIENT_ID,
            "client_secret": FAKE_CLIENT_SECRET,
            "pace": pace,
            "sleep": naps.sleep,
            "clock": naps.clock,
            **options,
        }
        return SalesforceClient(http, **settings)  # type: ignore[arg-type]

    return make
