"""A fake Salesforce on 127.0.0.1 per test, and clients of it on the fake clock and pace of
`tests/connectors/conftest.py`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import httpx
import pytest

from leadrank.connectors.salesforce.client import SalesforceClient
from leadrank.connectors.salesforce.fake import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    FakeSalesforce,
    serve_fake,
)
from tests.connectors.conftest import Naps, RecordingPace


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
def salesforce(
    http: httpx.Client, salesforce_url: str, naps: Naps, pace: RecordingPace
) -> Callable[..., SalesforceClient]:
    """A Salesforce client of the fake; a test's options override these."""
    return partial(
        SalesforceClient,
        http,
        url=salesforce_url,
        client_id=FAKE_CLIENT_ID,
        client_secret=FAKE_CLIENT_SECRET,
        pace=pace,
        sleep=naps.sleep,
        clock=naps.clock,
    )
