"""The fake HubSpot itself: it keeps HubSpot's rate limits (and a client pacing itself at
those limits never meets them), refuses what HubSpot refuses, and builds the same portal
every time, quickly even at 10,000 contacts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from leadrank.connectors.hubspot.client import HubSpotClient
from leadrank.connectors.hubspot.fake import (
    DEAL_STAGES,
    FAKE_TOKEN,
    FakeHubSpot,
    sample_portal,
    serve_fake,
)
from leadrank.connectors.pacing import LocalPace

AUTH = {"Authorization": f"Bearer {FAKE_TOKEN}"}


@pytest.fixture
def limited() -> Iterator[tuple[FakeHubSpot, str]]:
    """A fake with HubSpot's rate limits on, as it starts."""
    fake = FakeHubSpot()
    with serve_fake(fake) as url:
        yield fake, url


def search_body(**extra: Any) -> dict[str, Any]:
    return {"limit": 1, **extra}


def test_the_fake_answers_429_over_hubspots_limits(limited: tuple[FakeHubSpot, str]) -> None:
    fake, url = limited
    assert fake.rate_limits and fake.calls_per_10s == 100 and fake.search_per_second == 5
    with httpx.Client(base_url=url, headers=AUTH, timeout=10) as http:
        searches = [
            http.post("/crm/v3/objects/contacts/search", json=search_body()) for _ in range(6)
        ]
        assert [r.status_code for r in searches] == [200] * 5 + [429]
        assert "x-hubspot-ratelimit-max" not in searches[0].headers  # search answers carry none
        secondly = searches[-1]
        assert secondly.json()["policyName"] == "SECONDLY"
        assert secondly.json()["message"] == "You have reached your secondly limit."
        assert secondly.headers["Retry-After"] == "1"

        # The 5 searches count toward the 10-second limit: 95 more calls fill it.
        answers = [http.get("/crm/v3/properties/contacts") for _ in range(96)]
    assert [r.status_code for r in answers] == [200] * 95 + [429]
    assert answers[0].headers["X-HubSpot-RateLimit-Max"] == "100"
    assert answers[0].headers["X-HubSpot-RateLimit-Remaining"] == "94"
    assert answers[0].headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    refused = answers[-1]
    assert refused.json() == {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "category": "RATE_LIMITS",
        "policyName": "TEN_SECONDLY_ROLLING",
        "correlationId": refused.json()["correlationId"],
    }
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert refused.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert fake.peak_calls(10.0) == 102 and fake.peak_calls(0.000001) == 1


def test_a_client_pacing_at_the_fakes_limits_never_sees_a_429() -> None:
    # HubSpot's shape at a small scale, on the real clock: 5 calls a second, 2 searches.
    fake = FakeHubSpot(calls_per_10s=5, rolling_seconds=1.0, search_per_second=2)
    with serve_fake(fake) as url, httpx.Client(timeout=10) as http:
        client = HubSpotClient(
            http,
            token=FAKE_TOKEN,
            base_url=url,
            pace=LocalPace(),
            calls_per_10s=5,
            rolling_seconds=1.0,
            search_per_second=2,
            max_attempts=1,  # a 429 would fail the test at once
        )
        started = time.monotonic()
        for _ in range(6):
            client.properties("contacts")
            list(client.search_modified("companies", since=None, properties=["name"]))
        elapsed = time.monotonic() - started
    assert {r.status for r in fake.requests} == {200} and len(fake.requests) == 12
    assert fake.peak_calls(1.0) <= 5
    searches = sorted(r.at for r in fake.calls("/search"))
    assert all(b - a >= 1.0 for a, b in zip(searches, searches[2:], strict=False))
    assert elapsed > 2.0  # it did wait its turns


def test_a_wrong_token_gets_hubspots_401(limited: tuple[FakeHubSpot, str]) -> None:
    fake, url = limited
    answer = httpx.get(f"{url}/crm/v3/owners", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401
    assert answer.json()["category"] == "INVALID_AUTHENTICATION"
    assert answer.json()["message"].startswith("Authentication credentials not found")
    assert httpx.get(f"{url}/crm/v3/owners").status_code == 401
    assert [r.status for r in fake.requests] == [401, 401]


def test_the_fake_refuses_what_hubspot_refuses(limited: tuple[FakeHubSpot, str]) -> None:
    fake, url = limited
    fake.rate_limits = False
    with httpx.Client(base_url=url, headers=AUTH, timeout=10) as http:
        search = "/crm/v3/objects/contacts/search"
        assert http.post(search, json=search_body(limit=201)).status_code == 400
        assert http.post(search, json=search_body(after="10000")).status_code == 400
        two_sorts = [{"propertyName": "createdate"}, {"propertyName": "email"}]
        assert http.post(search, json=search_body(sorts=two_sorts)).status_code == 400
        unknown = {"filters": [{"propertyName": "nope", "operator": "EQ", "value": "1"}]}
        assert http.post(search, json=search_body(filterGroups=[unknown])).status_code == 400
        assert http.post("/crm/v3/objects/tickets/search", json={}).status_code == 400

        update = "/crm/v3/objects/contacts/batch/update"
        rid = next(iter(fake.portal.objects["contacts"]))
        many = [{"id": str(n), "properties": {"jobtitle": "x"}} for n in range(101)]
        assert http.post(update, json={"inputs": many}).status_code == 400
        twice = [{"id": rid, "properties": {}}] * 2
        assert "Duplicate IDs" in http.post(update, json={"inputs": twice}).json()["message"]
        read_only = [{"id": rid, "properties": {"createdate": "2020-01-01"}}]
        assert "READ_ONLY_VALUE" in http.post(update, json={"inputs": read_only}).json()["message"]
        assert http.post(update, content=b"{not json").status_code == 400
        assert http.get("/crm/v3/owners", params={"limit": 501}).status_code == 400

        # A search with properties returns those and the defaults, none of the others.
        body = search_body(properties=["jobtitle", "nope"], limit=3)
        found = http.post(search, json=body).json()
        assert set(found["results"][0]["properties"]) == {
            "jobtitle",
            "hs_object_id",
            "createdate",
            "lastmodifieddate",
        }
        assert found["total"] == 30 and found["paging"] == {"next": {"after": "3"}}

        listed = http.get("/crm/v3/objects/deals", params={"limit": 4, "properties": "dealname"})
        assert (
            len(listed.json()["results"]) == 4 and listed.json()["paging"]["next"]["after"] == "4"
        )


def test_filters_and_sorts_follow_property_types(limited: tuple[FakeHubSpot, str]) -> None:
    fake, url = limited
    fake.rate_limits = False

    def search(
        *filters: dict[str, Any], sort: str = "amount", direction: str = "DESCENDING"
    ) -> list[dict[str, Any]]:
        body = {
            "filterGroups": [{"filters": list(filters)}],
            "sorts": [{"propertyName": sort, "direction": direction}],
            "properties": ["amount", "dealstage", "closedate"],
            "limit": 200,
        }
        answer = httpx.post(f"{url}/crm/v3/objects/deals/search", json=body, headers=AUTH)
        results: list[dict[str, Any]] = answer.json()["results"]
        return results

    big = search({"propertyName": "amount", "operator": "GTE", "value": "50000"})
    amounts = [float(r["properties"]["amount"]) for r in big]
    assert amounts and amounts == sorted(amounts, reverse=True) and min(amounts) >= 50_000
    won = search(
        {"propertyName": "dealstage", "operator": "IN", "values": ["closedwon", "closedlost"]},
        {"propertyName": "amount", "operator": "HAS_PROPERTY"},
    )
    assert {r["properties"]["dealstage"] for r in won} <= {"closedwon", "closedlost"}
    stored = list(fake.portal.objects["deals"].values())
    expected = [
        r
        for r in stored
        if r["properties"]["dealstage"].startswith("closed") and r["properties"]["amount"]
    ]
    assert len(won) == len(expected)
    cutoff = "2025-03-01T00:00:00.000Z"
    early = search(
        {"propertyName": "closedate", "operator": "LT", "value": cutoff},
        sort="closedate",
        direction="ASCENDING",
    )
    assert all(r["properties"]["closedate"] < cutoff for r in early)
    assert [r["properties"]["closedate"] for r in early] == sorted(
        r["properties"]["closedate"] for r in early
    )


def test_the_sample_portal_is_deterministic_messy_and_quick() -> None:
    started = time.perf_counter()
    big = sample_portal(10_000)
    assert time.perf_counter() - started < 2.0
    assert {k: len(v) for k, v in big.objects.items()} == {
        "contacts": 10_000,
        "companies": 3_333,
        "deals": 5_000,
    }
    portal, again, other = sample_portal(), sample_portal(), sample_portal(seed=7)
    assert portal.objects == again.objects and portal.links == again.links
    assert portal.objects != other.objects

    contacts = list(portal.objects["contacts"].values())
    wanted = {"email", "firstname", "lastname", "company", "jobtitle", "phone", "country"}
    wanted |= {"city", "state", "industry", "lifecyclestage", "hubspot_owner_id", "createdate"}
    assert all(wanted | {"lastmodifieddate"} <= set(c["properties"]) for c in contacts)
    assert any(c["properties"]["email"].isupper() for c in contacts)
    assert any(c["properties"]["phone"] == "" for c in contacts)
    assert all(c["properties"]["lastmodifieddate"].endswith("Z") for c in contacts)
    assert all(
        c["properties"]["lastmodifieddate"] >= c["properties"]["createdate"] for c in contacts
    )
    stamps = [c["properties"]["lastmodifieddate"] for c in contacts]
    assert len(set(stamps)) < len(stamps)  # bulk edits leave shared moments

    company = next(iter(portal.objects["companies"].values()))["properties"]
    assert {"name", "domain", "industry", "numberofemployees", "annualrevenue"} <= set(company)
    for deal in portal.objects["deals"].values():
        values = deal["properties"]
        assert values["dealstage"] in DEAL_STAGES and values["pipeline"] == "default"
        closed = values["dealstage"] in ("closedwon", "closedlost")
        assert values["hs_is_closed"] == ("true" if closed else "false")
        assert values["hs_is_closed_won"] == (
            "true" if values["dealstage"] == "closedwon" else "false"
        )
        assert portal.linked("deals", deal["id"], "contacts")


def test_touch_and_add_move_the_fakes_now_forward() -> None:
    fake = FakeHubSpot(portal=sample_portal(10))
    first = next(iter(fake.portal.objects["contacts"]))
    one = fake.touch("contacts", first, jobtitle="CEO")
    two = fake.touch("contacts", first)
    assert one < two and fake.record("contacts", first)["properties"]["jobtitle"] == "CEO"
    assert fake.record("contacts", first)["updatedAt"] == two
    company = next(iter(fake.portal.objects["companies"]))
    added = fake.add_contact(company_id=company, email="new@acme.io", firstname="New")
    stored = fake.record("contacts", added)
    assert stored["properties"]["lastmodifieddate"] > two
    assert fake.portal.linked("contacts", added, "companies") == [company]
    assert added in fake.portal.linked("companies", company, "contacts")
    with pytest.raises(KeyError):
        fake.touch("contacts", first, no_such_property="x")
    with pytest.raises(ValueError, match="unknown fault"):
        fake.fail("418")
