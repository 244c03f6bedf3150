"""The HubSpot client against the fake over real HTTP: it walks every changed object in
modified order past the search cap, maps associations, creates properties once, updates in
batches of HubSpot's size and reports per-id failures, holds the lane a 429 names, retries
outages with a growing backoff, and fails at once and clearly on a refused token."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from leadrank.connectors.hubspot.client import (
    SEARCH_CAP,
    HubSpotAuthError,
    HubSpotClient,
    HubSpotError,
)
from leadrank.connectors.hubspot.fake import FAKE_TOKEN, FakeHubSpot, sample_portal
from tests.connectors.conftest import Naps, RecordingPace
from tests.connectors.hubspot.conftest import MakeClient


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [str(r["id"]) for r in records]


def modified(record: dict[str, Any], name: str = "lastmodifieddate") -> datetime:
    return datetime.fromisoformat(record["properties"][name])


def by_modified(fake: FakeHubSpot, kind: str = "contacts") -> list[dict[str, Any]]:
    name = "lastmodifieddate" if kind == "contacts" else "hs_lastmodifieddate"
    records = list(fake.portal.objects[kind].values())
    return sorted(records, key=lambda r: (modified(r, name), int(r["id"])))


def updates(count: int, fake: FakeHubSpot, **properties: str) -> list[dict[str, Any]]:
    chosen = list(fake.portal.objects["contacts"])[:count]
    return [{"id": rid, "properties": dict(properties)} for rid in chosen]


# -- search ---------------------------------------------------------------------------------


def test_search_walks_every_contact_in_modified_order(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient
) -> None:
    records = list(
        hubspot(page_size=7).search_modified("contacts", since=None, properties=["email"])
    )
    assert sorted(ids(records)) == sorted(hubspot_fake.portal.objects["contacts"])
    assert [modified(r) for r in records] == sorted(modified(r) for r in records)
    assert set(records[0]) == {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert {"email", "lastmodifieddate"} <= set(records[0]["properties"])

    pages = hubspot_fake.calls("/crm/v3/objects/contacts/search")
    assert [p.body.get("after") for p in pages] == [None, "7", "14", "21", "28"]
    first = pages[0].body
    assert "filterGroups" not in first  # no `since`: the whole object type
    assert first["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]
    assert first["limit"] == 7 and first["properties"] == ["email", "lastmodifieddate"]
    assert {p.authorization for p in pages} == {f"Bearer {FAKE_TOKEN}"}


def test_search_since_returns_only_what_changed(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient
) -> None:
    everything = by_modified(hubspot_fake)
    since = modified(everything[20])
    client = hubspot()
    changed = list(client.search_modified("contacts", since=since, properties=["email"]))
    assert ids(changed) == ids([r for r in everything if modified(r) >= since])
    assert 0 < len(changed) < len(everything)
    body = hubspot_fake.calls("/search")[0].body
    millis = str(int(since.timestamp() * 1000))
    assert body["filterGroups"] == [
        {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": millis}]}
    ]

    # A contact edited in HubSpot after that walk is the only one newer than its last change.
    last_seen = modified(changed[-1]) + timedelta(milliseconds=1)
    oldest = everything[0]["id"]
    hubspot_fake.touch("contacts", oldest, jobtitle="Chief Data Officer")
    again = list(client.search_modified("contacts", since=last_seen, properties=["jobtitle"]))
    assert ids(again) == [oldest]
    assert again[0]["properties"]["jobtitle"] == "Chief Data Officer"


def test_companies_and_deals_are_searched_by_hs_lastmodifieddate(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient
) -> None:
    client = hubspot()
    for kind, wanted in (("companies", ["name", "domain"]), ("deals", ["dealstage", "amount"])):
        since = modified(by_modified(hubspot_fake, kind)[3], "hs_lastmodifieddate")
        found = list(client.search_modified(kind, since=since, properties=wanted))
        expected = [
            r
            for r in by_modified(hubspot_fake, kind)
            if modified(r, "hs_lastmodifieddate") >= since
        ]
        assert ids(found) == ids(expected)
        body = hubspot_fake.calls(f"/objects/{kind}/search")[0].body
        assert body["filterGroups"][0]["filters"][0]["propertyName"] == "hs_lastmodifieddate"
        assert set(wanted) <= set(found[0]["properties"])


def test_search_restarts_at_the_result_cap_without_losing_or_repeating(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient
) -> None:
    hubspot_fake.portal = sample_portal(120, seed=3)
    hubspot_fake.search_cap = 50
    # A bulk edit leaves 30 contacts changed at the same millisecond, across a cap boundary.
    bulk = list(hubspot_fake.portal.objects["contacts"])[5:35]
    hubspot_fake.touch_many("contacts", bulk, lifecyclestage="customer")

    records = list(
        hubspot(page_size=20, search_cap=50).search_modified("contacts", since=None, properties=[])
    )
    assert len(records) == 120 and len(set(ids(records))) == 120
    assert [modified(r) for r in records] == sorted(modified(r) for r in records)
    assert set(ids(records[-30:])) == set(bulk)

    queries = [r.body for r in hubspot_fake.calls("/search") if "after" not in r.body]
    assert len(queries) == 3  # the first query, then one restart per cap reached
    restarts = [q["filterGroups"][0]["filters"][0] for q in queries[1:]]
    assert all(f["operator"] == "GTE" for f in restarts)
    assert restarts[1]["value"] == str(int(modified(records[-1]).timestamp() * 1000))
    assert all(int(r.body.get("after", 0)) < 50 for r in hubspot_fake.calls("/search"))


def test_a_cap_full_of_one_moment_is_walked_by_id(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient
) -> None:
    hubspot_fake.portal = sample_portal(120, seed=4)
    hubspot_fake.search_cap = 50
    bulk = list(hubspot_fake.portal.objects["contacts"])[10:90]  # 80 at one moment: over the cap
    hubspot_fake.touch_many("contacts", bulk, lifecyclestage="lead")

    records = list(
        hubspot(page_size=20, search_cap=50).search_modified("contacts", since=None, properties=[])
    )
    assert sorted(ids(records)) == sorted(hubspot_fake.portal.objects["contacts"])
    assert len(records) == 120
    by_id = [
        r.body
        for r in hubspot_fake.calls("/search")
        if r.body["sorts"][0]["propertyName"] == "hs_object_id"
    ]
    assert by_id and by_id[0]["filterGroups"][0]["filters"][0]["operator"] == "EQ"


def test_the_cap_is_hubspots_10000_and_a_big_walk_gets_past_it(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient, http: httpx.Client, hubspot_url: str
) -> None:
    assert SEARCH_CAP == 10_000 and hubspot().search_cap == 10_000
    assert hubspot_fake.search_cap == 10_000
    started = time.perf_counter()
    hubspot_fake.portal = sample_portal(10_050, seed=1)
    assert time.perf_counter() - started < 2.0

    def search(after: str) -> httpx.Response:
        return http.post(
            f"{hubspot_url}/crm/v3/objects/contacts/search",
            json={"limit": 200, "after": after},
            headers={"Authorization": f"Bearer {FAKE_TOKEN}"},
        )

    assert search("9800").status_code == 200
    too_far = search("10000")
    assert too_far.status_code == 400 and too_far.json()["category"] == "VALIDATION_ERROR"

    found = ids(list(hubspot().search_modified("contacts", since=None, properties=[])))
    assert len(found) == 10_050 and len(set(found)) == 10_050
    assert sum(1 for r in hubspot_fake.calls("/search") if "after" not in r.body) == 2


# -- associations, properties -----------------------------------------------------------------


def test_associations_map_each_id_to_its_linked_ids(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient
) -> None:
    portal = hubspot_fake.portal
    contacts = list(portal.objects["contacts"])
    links = hubspot().associations("contacts", "companies", contacts)
    assert links == {c: portal.linked("contacts", c, "companies") for c in contacts}
    # Every tenth contact has no company: a 207 with NO_ASSOCIATIONS_FOUND, not a failure.
    assert [len(links[c]) for c in contacts] == [0 if i % 10 == 9 else 1 for i in range(30)]
    assert hubspot_fake.calls("/batch/read")[0].status == 207

    deals = list(portal.objects["deals"])
    buyers = hubspot().associations("deals", "contacts", deals)
    assert all(buyers[d] == portal.linked("deals", d, "contacts") and buyers[d] for d in deals)
    body = hubspot_fake.calls("/crm/v4/associations/deals/contacts/batch/read")[0].body
    assert body == {"inputs": [{"id": d} for d in deals]}


def test_associations_are_read_in_chunks_and_followed_past_a_page(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient
) -> None:
    hubspot_fake.association_page = 2
    portal = hubspot_fake.portal
    company = next(iter(portal.objects["companies"]))
    unknown = [str(n) for n in range(900_000, 900_250)]
    links = hubspot().associations("companies", "contacts", [company, *unknown])
    assert links[company] == portal.linked("companies", company, "contacts")
    assert len(links[company]) > 2 and all(links[u] == [] for u in unknown)
    sizes = [len(r.body["inputs"]) for r in hubspot_fake.calls("/batch/read")]
    assert sizes[:3] == [100, 100, 51]
    follow_ups = [r.body["inputs"] for r in hubspot_fake.calls("/batch/read")][3:]
    assert follow_ups[0] == [{"id": company, "after": "2"}]


def test_property_groups_and_properties_are_created_once(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient
) -> None:
    client = hubspot()
    assert client.create_property_group("contacts", "leadrank", "leadrank") is True
    assert client.create_property_group("contacts", "leadrank", "leadrank") is False
    definition = {
        "name": "leadrank_score",
        "label": "leadrank score",
        "type": "number",
        "fieldType": "number",
        "groupName": "leadrank",
        "description": "The lead's score, 0-100.",
    }
    assert client.create_property("contacts", definition) is True
    assert client.create_property("contacts", definition) is False
    assert [r.status for r in hubspot_fake.calls("/properties/contacts", method="POST")] == [
        201,
        409,
        201,
        409,
    ]
    assert "leadrank" in [g["name"] for g in client.property_groups("contacts")]
    created = {p["name"]: p for p in client.properties("contacts")}["leadrank_score"]
    assert created["groupName"] == "leadrank" and created["type"] == "number"
    assert "leadrank_score" not in {p["name"] for p in client.properties("companies")}

    rid = next(iter(hubspot_fake.portal.objects["contacts"]))
    outcome = client.batch_update("contacts", [{"id": rid, "properties": {"leadrank_score": "87"}}])
    assert outcome.updated == [rid] and outcome.failed == {}
    assert hubspot_fake.record("contacts", rid)["properties"]["leadrank_score"] == "87"


# -- batch updates ----------------------------------------------------------------------------


def test_batch_update_sends_hubspots_batch_size(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient
) -> None:
    hubspot_fake.portal = sample_portal(260)
    inputs = updates(250, hubspot_fake, lifecyclestage="salesqualifiedlead")
    before = max(modified(r) for r in hubspot_fake.portal.objects["contacts"].values())
    outcome = hubspot().batch_update("contacts", inputs)
    assert outcome.updated == ids(inputs) and outcome.failed == {}
    assert [len(r.body["inputs"]) for r in hubspot_fake.calls("/batch/update")] == [100, 100, 50]
    for item in inputs:
        stored = hubspot_fake.record("contacts", item["id"])
        assert stored["properties"]["lifecyclestage"] == "salesqualifiedlead"
        assert modified(stored) > before  # an update is a change, as in HubSpot


def test_a_partial_failure_is_reported_per_id(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient
) -> None:
    inputs = updates(5, hubspot_fake, jobtitle="CTO")
    refused = inputs[1]["id"]
    hubspot_fake.fail_updates([refused], "Property values were not valid: INVALID_OPTION")
    inputs.append({"id": "424242", "properties": {"jobtitle": "CTO"}})
    outcome = hubspot().batch_update("contacts", inputs)
    assert outcome.updated == [i["id"] for i in inputs if i["id"] not in (refused, "424242")]
    assert outcome.failed == {
        refused: "Property values were not valid: INVALID_OPTION",
        "424242": (
            "Could not get some CONTACT objects, they may be deleted or not exist. "
            "Check that ids are valid."
        ),
    }
    assert hubspot_fake.calls("/batch/update")[0].status == 207
    assert hubspot_fake.record("contacts", refused)["properties"]["jobtitle"] != "CTO"


def test_a_batch_refused_whole_raises_hubspots_message(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient, naps: Naps
) -> None:
    inputs = updates(3, hubspot_fake, leadrank_grade="A")
    with pytest.raises(HubSpotError) as failure:
        hubspot().batch_update("contacts", inputs)
    error = failure.value
    assert error.hubspot_status == 400 and error.category == "VALIDATION_ERROR"
    assert "PROPERTY_DOESNT_EXIST" in error.message and "leadrank_grade" in error.message
    assert error.retriable is False and naps.taken == []
    assert len(hubspot_fake.calls("/batch/update")) == 1


def test_a_429_storm_is_survived_with_each_update_applied_once(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient, pace: RecordingPace
) -> None:
    hubspot_fake.portal = sample_portal(260)
    inputs = updates(250, hubspot_fake, lifecyclestage="opportunity")
    hubspot_fake.fail("429", times=3, path="/batch/update")
    client = hubspot()
    outcome = client.batch_update("contacts", inputs)

    assert outcome.updated == ids(inputs) and outcome.failed == {}
    sent = hubspot_fake.calls("/batch/update")
    assert [r.status for r in sent] == [429, 429, 429, 200, 200, 200]
    applied = [i["id"] for r in sent if r.status == 200 for i in r.body["inputs"]]
    assert sorted(applied) == sorted(ids(inputs))  # each id in exactly one accepted batch
    assert all(
        hubspot_fake.record("contacts", i["id"])["properties"]["lifecyclestage"] == "opportunity"
        for i in inputs
    )
    assert pace.holds == [("hubspot", 1.0)] * 3
    assert pace.turns == ["hubspot"] * 6 and client.calls == 6


def test_a_search_429_holds_the_search_lane(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient, pace: RecordingPace, naps: Naps
) -> None:
    hubspot_fake.fail("429", path="/search", retry_after="2", policy="SECONDLY")
    records = list(hubspot().search_modified("contacts", since=None, properties=[]))
    assert len(records) == 30
    assert pace.holds == [("hubspot:search", 2.0)]
    assert naps.taken == [2.0]  # the next search waited out the hold
    assert pace.turns == ["hubspot:search", "hubspot"] * 2


def test_a_429_without_retry_after_holds_for_the_backoff(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient, pace: RecordingPace
) -> None:
    hubspot_fake.fail("429", times=2, path="/owners", retry_after=None)
    assert len(list(hubspot(backoff=0.25).owners())) == 6
    assert pace.holds == [("hubspot", 0.25), ("hubspot", 0.5)]


def test_a_retry_after_longer_than_we_wait_is_handed_back(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient, pace: RecordingPace
) -> None:
    hubspot_fake.fail("429", retry_after="3600")
    with pytest.raises(HubSpotError) as failure:
        hubspot(max_wait=60).properties("contacts")
    assert failure.value.retriable is True and failure.value.retry_after == 3600
    assert pace.holds == [] and len(hubspot_fake.requests) == 1


# -- outages and refusals -------------------------------------------------------------------


def test_server_errors_are_retried_with_a_growing_backoff(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient, naps: Naps
) -> None:
    hubspot_fake.fail("500", times=2, path="/properties")
    assert len(hubspot(backoff=0.5).properties("deals")) > 5
    assert naps.taken == [0.5, 1.0] and len(hubspot_fake.requests) == 3


def test_an_outage_that_lasts_gives_up_as_retriable(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient, naps: Naps
) -> None:
    hubspot_fake.fail("500", times=100)
    client = hubspot(max_attempts=3, backoff=0.5)
    with pytest.raises(HubSpotError) as failure:
        client.batch_update("contacts", updates(3, hubspot_fake, jobtitle="CFO"))
    assert failure.value.retriable is True
    assert "after 3 tries" in failure.value.message and "500" in failure.value.message
    assert naps.taken == [0.5, 1.0] and client.calls == 3 and len(hubspot_fake.requests) == 3


def test_a_timeout_is_retried(hubspot_fake: FakeHubSpot, hubspot_url: str, naps: Naps) -> None:
    hubspot_fake.slow_seconds = 0.5
    hubspot_fake.fail("slow")
    with httpx.Client(timeout=0.2) as impatient:
        client = HubSpotClient(
            impatient,
            token=FAKE_TOKEN,
            base_url=hubspot_url,
            backoff=0.1,
            sleep=naps.sleep,
            clock=naps.clock,
        )
        assert len(list(client.owners())) == 6
    assert naps.taken == [0.1] and client.calls == 2


def test_a_refused_token_fails_at_once_without_showing_it(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient, naps: Naps
) -> None:
    wrong = "pat-na1-not-the-right-one-1234"
    client = hubspot(token=wrong)
    with pytest.raises(HubSpotAuthError) as failure:
        list(client.search_modified("contacts", since=None, properties=[]))
    message = failure.value.message
    assert "refused the access token" in message and "LEADRANK_HUBSPOT_TOKEN" in message
    assert "401" in message and "Authentication credentials not found" in message
    assert wrong not in message and wrong not in repr(client) and wrong not in str(vars(client))
    assert failure.value.retriable is False and failure.value.category == "INVALID_AUTHENTICATION"
    assert len(hubspot_fake.requests) == 1 and naps.taken == []


def test_a_missing_scope_is_named(hubspot_fake: FakeHubSpot, hubspot: MakeClient) -> None:
    hubspot_fake.fail("403", path="/batch/update")
    with pytest.raises(HubSpotAuthError) as failure:
        hubspot().batch_update("contacts", updates(2, hubspot_fake, jobtitle="CFO"))
    assert "crm.objects.contacts.write" in failure.value.message
    assert failure.value.category == "MISSING_SCOPES" and failure.value.retriable is False


# -- owners, counting, settings -------------------------------------------------------------


def test_owners_are_paged(hubspot_fake: FakeHubSpot, hubspot: MakeClient) -> None:
    owners = list(hubspot().owners(limit=4))
    assert owners == hubspot_fake.portal.owners and len(owners) == 6
    assert {"id", "email", "firstName", "lastName", "userId"} <= set(owners[0])
    pages = hubspot_fake.calls("/crm/v3/owners")
    assert [p.query for p in pages] == [{"limit": "4"}, {"limit": "4", "after": "4"}]


def test_calls_are_counted_per_lane(hubspot_fake: FakeHubSpot, hubspot: MakeClient) -> None:
    hubspot_fake.fail("500", path="/owners")
    client = hubspot(page_size=10)
    list(client.search_modified("contacts", since=None, properties=[]))
    list(client.owners())
    assert client.calls == len(hubspot_fake.requests) == 5
    assert client.calls_by_lane == {"hubspot": 5, "hubspot:search": 3}


def test_a_search_turn_taken_before_a_long_wait_is_taken_again(
    hubspot: MakeClient, pace: RecordingPace, naps: Naps
) -> None:
    client = hubspot(calls_per_10s=2)
    client.properties("contacts")
    next(client.owners())
    pace.turns.clear()
    # The search lane grants at once, then the full general lane makes the call wait ~10 s:
    # the search turn is stale by then and is taken again, so the call goes with both fresh.
    list(client.search_modified("contacts", since=None, properties=[]))
    assert pace.turns == ["hubspot:search", "hubspot", "hubspot:search"]
    assert naps.taken == [pytest.approx(10.1)]
    assert client.calls_by_lane == {"hubspot": 3, "hubspot:search": 1}


def test_bad_settings_and_inputs_are_refused(http: httpx.Client, hubspot: MakeClient) -> None:
    with pytest.raises(Exception, match="access token is empty"):
        HubSpotClient(http, token="  ")
    with pytest.raises(Exception, match="page_size"):
        HubSpotClient(http, token="t", page_size=201)
    client = hubspot()
    with pytest.raises(Exception, match="not a HubSpot object type"):
        client.properties("contacts/../owners")
    with pytest.raises(Exception, match="same id twice"):
        client.batch_update("contacts", [{"id": "1", "properties": {}}] * 2)
    with pytest.raises(Exception, match="needs fieldType, groupName"):
        client.create_property("contacts", {"name": "x", "label": "x", "type": "string"})
    assert client.calls == 0


def test_since_may_be_naive_or_in_another_zone(
    hubspot_fake: FakeHubSpot, hubspot: MakeClient
) -> None:
    moment = datetime(2025, 2, 1, 12, 0, 0, 250_000, tzinfo=UTC)
    client = hubspot()
    list(client.search_modified("contacts", since=moment.replace(tzinfo=None), properties=[]))
    east = moment.astimezone(timezone(timedelta(hours=5, minutes=30)))
    list(client.search_modified("contacts", since=east, properties=[]))
    values = [
        r.body["filterGroups"][0]["filters"][0]["value"] for r in hubspot_fake.calls("/search")
    ]
    assert values == ["1738411200250", "1738411200250"]
