"""The Instantly client against the fake over real HTTP: it pages through everything, waits
as 429 says, retries outages and timeouts with a growing backoff, paces GET /emails, and fails
at once and clearly on a refused key or a body that is not JSON."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from leadrank.connectors.instantly.client import (
    InstantlyAuthError,
    InstantlyClient,
    InstantlyError,
)
from leadrank.connectors.instantly.fake import FAKE_API_KEY, FakeInstantly
from tests.connectors.conftest import Naps

MakeClient = Callable[..., InstantlyClient]


def ids(items: list[dict[str, object]]) -> list[object]:
    return [item["id"] for item in items]


def test_pages_through_campaigns_leads_and_emails(
    fake: FakeInstantly, instantly: MakeClient
) -> None:
    client = instantly(page_size=2)
    workspace = fake.workspace
    campaigns = list(client.campaigns())
    assert ids(campaigns) == ids(workspace.campaigns) and len(campaigns) == 3
    for campaign in campaigns:
        leads = list(client.leads(campaign=campaign["id"]))
        emails = list(client.emails(campaign_id=campaign["id"]))
        assert ids(leads) == ids([x for x in workspace.leads if x["campaign"] == campaign["id"]])
        assert ids(emails) == ids(
            [x for x in workspace.emails if x["campaign_id"] == campaign["id"]]
        )
    assert sum(1 for r in fake.requests if r.path != "/campaigns") > 10  # many pages

    # Each page asks for the next after the last item it got, with the key as a bearer token.
    pages = fake.calls("/campaigns")
    assert [r.query.get("starting_after") for r in pages] == [None, campaigns[1]["id"]]
    assert all(r.query["limit"] == "2" for r in pages)
    assert {r.authorization for r in fake.requests} == {f"Bearer {FAKE_API_KEY}"}
    first_leads = fake.calls("/leads/list")[0]
    assert first_leads.method == "POST"
    assert first_leads.body == {"campaign": campaigns[0]["id"], "limit": 2}
    assert fake.calls("/emails")[0].query["preview_only"] == "true"


def test_emails_since_are_filtered_by_instantly(fake: FakeInstantly, instantly: MakeClient) -> None:
    since = datetime(2026, 3, 20, tzinfo=UTC)
    emails = list(instantly().emails(since=since))
    assert fake.calls("/emails")[0].query["min_timestamp_created"] == "2026-03-20T00:00:00.000Z"
    expected = [e for e in fake.workspace.emails if e["timestamp_created"] >= "2026-03-20"]
    assert ids(emails) == ids(expected)
    assert 0 < len(emails) < len(fake.workspace.emails)


def test_a_429_is_waited_out_as_retry_after_says(
    fake: FakeInstantly, instantly: MakeClient, naps: Naps
) -> None:
    fake.fail("429", times=2, path="/campaigns", retry_after="3")
    campaigns = list(instantly().campaigns())
    assert ids(campaigns) == ids(fake.workspace.campaigns)
    assert naps.taken == [3.0, 3.0]
    assert len(fake.calls("/campaigns")) == 3


def test_a_429_with_an_http_date_or_none_is_waited_out_too(
    fake: FakeInstantly, instantly: MakeClient, naps: Naps
) -> None:
    fake.fail("429", times=1, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")  # in the past
    fake.fail("429", times=1)  # no Retry-After: the backoff
    assert len(list(instantly(backoff=0.25).campaigns())) == 3
    assert naps.taken == [0.0, 0.5]


def test_server_errors_are_retried_with_a_growing_backoff(
    fake: FakeInstantly, instantly: MakeClient, naps: Naps
) -> None:
    fake.fail("500", times=3, path="/leads/list")
    client = instantly(backoff=0.5)
    leads = list(client.leads())
    assert ids(leads) == ids(fake.workspace.leads)
    assert naps.taken == [0.5, 1.0, 2.0]
    assert len(fake.calls("/leads/list")) == 4


def test_an_outage_that_lasts_gives_up_as_retriable(
    fake: FakeInstantly, instantly: MakeClient, naps: Naps
) -> None:
    fake.fail("500", times=100)
    with pytest.raises(InstantlyError) as failure:
        list(instantly(max_attempts=3, backoff=0.5).campaigns())
    assert failure.value.retriable is True
    assert "after 3 tries" in failure.value.message and "500" in failure.value.message
    assert len(fake.requests) == 3 and naps.taken == [0.5, 1.0]


def test_a_retry_after_longer_than_we_wait_is_handed_back(
    fake: FakeInstantly, instantly: MakeClient, naps: Naps
) -> None:
    fake.fail("429", retry_after="3600")
    with pytest.raises(InstantlyError) as failure:
        list(instantly(max_wait=60).campaigns())
    assert failure.value.retriable is True and failure.value.retry_after == 3600
    assert naps.taken == [] and len(fake.requests) == 1


def test_a_timeout_is_retried(fake: FakeInstantly, instantly_url: str, naps: Naps) -> None:
    fake.slow_seconds = 1.0
    fake.fail("slow", times=1)
    with httpx.Client(timeout=0.3) as impatient:
        client = InstantlyClient(
            impatient,
            api_key=FAKE_API_KEY,
            base_url=instantly_url,
            backoff=0.1,
            sleep=naps.sleep,
            clock=naps.clock,
        )
        campaigns = list(client.campaigns())
    assert ids(campaigns) == ids(fake.workspace.campaigns)
    assert naps.taken == [0.1] and len(fake.calls("/campaigns")) == 2


def test_a_refused_key_fails_at_once_and_clearly(
    fake: FakeInstantly, instantly: MakeClient, naps: Naps
) -> None:
    wrong = "sk-not-the-right-one-123"
    client = instantly(api_key=wrong)
    with pytest.raises(InstantlyAuthError) as failure:
        list(client.campaigns())
    message = failure.value.message
    assert "refused the API key" in message and "LEADRANK_INSTANTLY_API_KEY" in message
    assert "401" in message and "Invalid API key" in message
    assert wrong not in message and wrong not in repr(client)
    assert failure.value.retriable is False
    assert len(fake.requests) == 1 and naps.taken == []  # never retried


def test_a_key_revoked_while_paging_stops_the_paging(
    fake: FakeInstantly, instantly: MakeClient
) -> None:
    client = instantly(page_size=2)
    pages = client.leads()
    assert next(pages)["id"] == fake.workspace.leads[0]["id"]
    fake.fail("401")
    with pytest.raises(InstantlyAuthError):
        list(pages)
    assert len(fake.calls("/leads/list")) == 2


def test_a_body_that_is_not_json_is_a_clear_permanent_error(
    fake: FakeInstantly, instantly: MakeClient, naps: Naps
) -> None:
    fake.fail("malformed", path="/emails")
    with pytest.raises(InstantlyError) as failure:
        list(instantly().emails())
    assert failure.value.message == "Instantly answered GET /emails with a body that is not JSON"
    assert failure.value.retriable is False and naps.taken == []


def test_get_emails_is_paced_to_its_own_rate_limit(
    fake: FakeInstantly, instantly: MakeClient, naps: Naps
) -> None:
    emails = list(instantly(page_size=5, emails_per_minute=20).emails())
    pages = math.ceil(len(fake.workspace.emails) / 5)
    assert len(emails) == len(fake.workspace.emails) and pages > 3
    assert len(fake.calls("/emails")) == pages
    assert naps.taken == [3.0] * (pages - 1)  # 20 a minute: one every 3 seconds
    # Other endpoints are not held back.
    list(instantly(page_size=1, emails_per_minute=20).campaigns())
    assert naps.taken == [3.0] * (pages - 1)


def test_bad_settings_are_refused(http: httpx.Client) -> None:
    with pytest.raises(Exception, match="API key is empty"):
        InstantlyClient(http, api_key="  ")
    with pytest.raises(Exception, match="page_size"):
        InstantlyClient(http, api_key="k", page_size=101)
