"""The fake vendor server for the adapter tests: one per test module, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from leadrank.enrichment.providers.fake_vendors import FakeVendors, serve


@pytest.fixture(scope="module")
def fake() -> FakeVendors:
    """One fake for the module; its faults and call log are cleared before each test."""
    return FakeVendors()


@pytest.fixture(scope="module")
def base_url(fake: FakeVendors) -> Iterator[str]:
    """The fake serving on 127.0.0.1."""
    with serve(fake) as url:
        yield url


@pytest.fixture
def client(fake: FakeVendors, base_url: str) -> Iterator[httpx.Client]:
    """A client for one test, after a reset of the fake."""
    fake.reset()
    with httpx.Client(timeout=5) as client:
        yield client
