"""Vendor failures, served by the fake over real HTTP on 127.0.0.1, translated by each adapter into
RetriableError (with the vendor's retry_after) or PermanentError, never leaking the key or an
email address into the message."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from leadrank.enrichment.providers.apollo import ApolloProvider
from leadrank.enrichment.providers.base import (
    EnrichmentQuery,
    FieldGroup,
    PermanentError,
    Provider,
    ProviderError,
    RetriableError,
)
from leadrank.enrichment.providers.clearbit import ClearbitProvider
from leadrank.enrichment.providers.fake_vendors import (
    KEYS,
    VENDORS,
    FakeVendors,
    FaultKind,
    Vendor,
)
from leadrank.enrichment.providers.hunter import HunterProvider
from leadrank.enrichment.providers.pdl import PdlProvider

ADA = EnrichmentQuery(email="ada.lovelace@acme.com", domain="acme.com")
# What each vendor is asked in these tests; every one of them is found when nothing fails.
ASKED: dict[Vendor, tuple[Callable[..., Provider], FieldGroup]] = {
    "apollo": (ApolloProvider, "person"),
    "hunter": (HunterProvider, "email"),
    "pdl": (PdlProvider, "person"),
    "clearbit": (ClearbitProvider, "company"),
}
WITH_RETRY_AFTER: tuple[Vendor, ...] = ("apollo", "pdl", "clearbit")  # Hunter documents none


def ask(vendor: Vendor, client: httpx.Client, base_url: str) -> ProviderError:
    """The error the vendor's adapter raises for ADA (the test fails if it raises none)."""
    adapter, group = ASKED[vendor]
    provider = adapter(client, api_key=KEYS[vendor], base_url=base_url)
    with pytest.raises(ProviderError) as raised:
        provider.enrich(ADA, group)
    error = raised.value
    # Nothing a log or a job record shows may carry the key or the whole address.
    assert KEYS[vendor] not in str(error) and "ada.lovelace@acme.com" not in str(error)
    assert error.__cause__ is None
    return error


@pytest.mark.parametrize("vendor", WITH_RETRY_AFTER)
def test_429_is_retriable_after_the_vendors_delay(
    vendor: Vendor, fake: FakeVendors, client: httpx.Client, base_url: str
) -> None:
    fake.faults.add(vendor, "rate_limited", retry_after="7")
    error = ask(vendor, client, base_url)
    assert isinstance(error, RetriableError)
    assert (error.status, error.retry_after) == (429, 7.0)
    assert f"{vendor}: rate limited (429)" in error.message


@pytest.mark.parametrize("vendor", WITH_RETRY_AFTER)
def test_retry_after_may_be_an_http_date(
    vendor: Vendor, fake: FakeVendors, client: httpx.Client, base_url: str
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    fake.faults.add(vendor, "rate_limited", retry_after=when)
    error = ask(vendor, client, base_url)
    assert isinstance(error, RetriableError) and error.retry_after is not None
    assert 25 <= error.retry_after <= 30


def test_hunters_rate_limit_is_a_403_and_stays_retriable(
    fake: FakeVendors, client: httpx.Client, base_url: str
) -> None:
    fake.faults.add("hunter", "rate_limited")
    error = ask("hunter", client, base_url)
    assert isinstance(error, RetriableError)
    assert (error.status, error.retry_after) == (403, None)
    assert "rate limit" in error.message


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize(
    ("kind", "status", "retry_after"), [("server_error", 500, None), ("unavailable", 503, 3.0)]
)
def test_5xx_is_retriable(
    vendor: Vendor,
    kind: FaultKind,
    status: int,
    retry_after: float | None,
    fake: FakeVendors,
    client: httpx.Client,
    base_url: str,
) -> None:
    fake.faults.add(vendor, kind, retry_after=None if retry_after is None else "3")
    error = ask(vendor, client, base_url)
    assert isinstance(error, RetriableError)
    assert (error.status, error.retry_after) == (status, retry_after)


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_slow_vendor_times_out_retriably(
    vendor: Vendor, fake: FakeVendors, base_url: str
) -> None:
    fake.reset()
    fake.faults.add(vendor, "slow", delay=2.0)
    started = time.monotonic()
    with httpx.Client(timeout=0.2) as impatient:
        error = ask(vendor, impatient, base_url)
    assert isinstance(error, RetriableError)
    assert error.message == f"{vendor}: timed out (ReadTimeout)"
    assert time.monotonic() - started < 1.5  # the client gave up; it did not wait the answer out


@pytest.mark.parametrize("vendor", VENDORS)
def test_malformed_json_is_retriable(
    vendor: Vendor, fake: FakeVendors, client: httpx.Client, base_url: str
) -> None:
    fake.faults.add(vendor, "malformed")
    error = ask(vendor, client, base_url)
    assert isinstance(error, RetriableError)
    assert (error.status, error.message) == (200, f"{vendor}: answer is not JSON")


@pytest.mark.parametrize("vendor", VENDORS)
def test_401_is_permanent(
    vendor: Vendor, fake: FakeVendors, client: httpx.Client, base_url: str
) -> None:
    fake.faults.add(vendor, "bad_key")
    error = ask(vendor, client, base_url)
    assert type(error) is PermanentError
    assert (error.status, error.message) == (401, f"{vendor}: key refused (401)")


@pytest.mark.parametrize("vendor", VENDORS)
def test_402_is_permanent(
    vendor: Vendor, fake: FakeVendors, client: httpx.Client, base_url: str
) -> None:
    fake.faults.add(vendor, "error", status=402)
    error = ask(vendor, client, base_url)
    assert type(error) is PermanentError
    assert error.status == 402 and f"{vendor}: no credits left (402)" in error.message


@pytest.mark.parametrize(
    ("vendor", "status"), [("apollo", 422), ("hunter", 429), ("pdl", 402), ("clearbit", 402)]
)
def test_each_vendors_empty_credit_pool_is_permanent(
    vendor: Vendor, status: int, fake: FakeVendors, client: httpx.Client, base_url: str
) -> None:
    fake.faults.add(vendor, "no_credits")
    error = ask(vendor, client, base_url)
    assert type(error) is PermanentError
    assert error.status == status and f"{vendor}: no credits left ({status})" in error.message


@pytest.mark.parametrize("vendor", VENDORS)
def test_other_4xx_is_permanent_with_the_vendors_message_masked(
    vendor: Vendor, fake: FakeVendors, client: httpx.Client, base_url: str
) -> None:
    fake.faults.add(vendor, "error", status=400)  # the fake echoes the address it was asked
    error = ask(vendor, client, base_url)
    assert type(error) is PermanentError
    expected = "a***@acme.com" if vendor != "clearbit" else "acme.com"
    assert error.message == f"{vendor}: query refused (400): Invalid request for {expected}"


@pytest.mark.parametrize("vendor", ["hunter", "clearbit"])
def test_a_queued_lookup_is_retriable_soon(
    vendor: Vendor, fake: FakeVendors, client: httpx.Client, base_url: str
) -> None:
    fake.faults.add(vendor, "pending")
    error = ask(vendor, client, base_url)
    assert isinstance(error, RetriableError)
    assert (error.status, error.retry_after) == (202, 5.0)


def test_faults_wear_off_and_the_log_counts_every_try(
    fake: FakeVendors, client: httpx.Client, base_url: str
) -> None:
    pdl = PdlProvider(client, api_key=KEYS["pdl"], base_url=base_url)
    fake.faults.add("pdl", "unavailable", times=2, retry_after="1")
    outcomes: list[str] = []
    for _ in range(3):
        try:
            outcomes.append(str(pdl.enrich(ADA, "person").fields["full_name"]))
        except RetriableError as error:
            outcomes.append(f"retry after {error.retry_after}")
    assert outcomes == ["retry after 1.0", "retry after 1.0", "Ada Lovelace"]
    calls = fake.calls_to("pdl")
    assert [(call.status, call.fault) for call in calls] == [
        (503, "unavailable"),
        (503, "unavailable"),
        (200, None),
    ]
    assert fake.calls_to("apollo") == []  # faults are per vendor


def test_a_refused_connection_is_retriable(client: httpx.Client) -> None:
    with socket.socket() as probe:  # a port on loopback that nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    apollo = ApolloProvider(client, api_key=KEYS["apollo"], base_url=closed)
    with pytest.raises(RetriableError, match=r"^apollo: connection failed \(ConnectError\)$"):
        apollo.enrich(ADA, "person")


def test_a_base_url_without_scheme_is_permanent(client: httpx.Client) -> None:
    clearbit = ClearbitProvider(client, api_key=KEYS["clearbit"], base_url="company.clearbit.com")
    with pytest.raises(PermanentError, match="no http"):
        clearbit.enrich(ADA, "company")


def test_hunter_451_is_a_miss(fake: FakeVendors, client: httpx.Client, base_url: str) -> None:
    fake.faults.add("hunter", "error", status=451)  # the person asked Hunter to forget them
    hunter = HunterProvider(client, api_key=KEYS["hunter"], base_url=base_url)
    result = hunter.enrich(ADA, "email")
    assert (result.found, result.cost) == (False, 0.0)
    assert [call.status for call in fake.calls_to("hunter")] == [451]


def test_hunter_429_with_retry_after_is_a_rate_limit_not_an_empty_pool() -> None:
    # The fake's Hunter never sends Retry-After (Hunter documents none): a mock answer does.
    body = b'{"errors": [{"id": "too_many_requests", "code": 429, "details": "Slow down"}]}'
    transport = httpx.MockTransport(
        lambda _: httpx.Response(429, content=body, headers={"Retry-After": "2"})
    )
    with httpx.Client(transport=transport) as mocked, pytest.raises(RetriableError) as raised:
        HunterProvider(mocked, api_key=KEYS["hunter"]).enrich(ADA, "email")
    assert (raised.value.status, raised.value.retry_after) == (429, 2.0)
