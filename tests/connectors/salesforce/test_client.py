"""The Salesforce client against the fake org over real HTTP: one token, renewed once when it
expires; incremental reads that follow every batch; names checked before anything reaches SOQL;
updates in collections of 200 whose per-record failures come back by id; 429s waited out in the
shared lane without losing or repeating a write; outages and the daily limit handed back as
retriable, clearly."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from leadrank.connectors.salesforce.client import (
    SalesforceAuthError,
    SalesforceClient,
    SalesforceError,
    modified_since_soql,
)
from leadrank.connectors.salesforce.fake import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    LEADRANK_FIELDS,
    FakeSalesforce,
    record_id,
    sample_org,
    sf_datetime,
)
from leadrank.errors import BadInput
from tests.connectors.conftest import Naps, RecordingPace

MakeClient = Callable[..., SalesforceClient]
TOKEN = "/services/oauth2/token"
PATCH = "/composite/sobjects"


def lead_ids(org: FakeSalesforce) -> list[str]:
    return list(org.org.records["Lead"])


def scores(ids: list[str]) -> list[dict[str, object]]:
    return [
        {"Id": i, "Leadrank_Score__c": n % 100, "Leadrank_Grade__c": "A"} for n, i in enumerate(ids)
    ]


# -- the token ---------------------------------------------------------------------------


def test_the_token_is_fetched_once_and_reused(org: FakeSalesforce, salesforce: MakeClient) -> None:
    client = salesforce()
    assert org.requests == []  # lazily: nothing before the first call
    client.describe("Lead")
    list(client.modified_since("Lead", ["Email"], None))
    client.missing_fields("Contact", ["Email"])

    tokens = org.calls(TOKEN)
    assert len(tokens) == 1 and tokens[0].method == "POST"
    assert tokens[0].body == {
        "grant_type": "client_credentials",
        "client_id": FAKE_CLIENT_ID,
        "client_secret": FAKE_CLIENT_SECRET,
    }
    data = org.calls("/services/data/v60.0/")
    assert len(data) == 3 and all(r.status == 200 for r in data)
    assert len({r.authorization for r in data}) == 1
    assert data[0].authorization is not None and data[0].authorization.startswith("Bearer 00D")
    assert client.calls == len(org.requests) == 4
    assert client.api_usage == (3, org.daily_limit)


def test_an_expired_token_is_renewed_once_and_the_call_succeeds(
    org: FakeSalesforce, salesforce: MakeClient
) -> None:
    client = salesforce()
    client.describe("Lead")
    org.expire_tokens()
    assert client.describe("Lead")["name"] == "Lead"
    assert [(r.path.rsplit("/", 2)[-2:], r.status) for r in org.requests] == [
        (["oauth2", "token"], 200),
        (["Lead", "describe"], 200),
        (["Lead", "describe"], 401),
        (["oauth2", "token"], 200),
        (["Lead", "describe"], 200),
    ]
    assert org.requests[2].authorization != org.requests[4].authorization
    assert client.calls == 5


def test_a_token_expiring_between_batches_does_not_break_the_read(
    org: FakeSalesforce, salesforce: MakeClient
) -> None:
    org.batch_size = 5
    pages = salesforce().modified_since("Lead", [], None)
    first = [next(pages) for _ in range(5)]
    org.expire_tokens()
    rest = list(pages)
    assert len(first) + len(rest) == 20
    assert len(org.calls(TOKEN)) == 2


def test_refused_credentials_fail_at_once_without_the_secret(
    org: FakeSalesforce, salesforce: MakeClient, naps: Naps
) -> None:
    wrong = "not-the-secret-5f3a9c"
    client = salesforce(client_secret=wrong)
    with pytest.raises(SalesforceAuthError) as failure:
        client.describe("Lead")
    message = failure.value.message
    assert "invalid_client: invalid client credentials" in message and "400" in message
    assert "LEADRANK_SALESFORCE_CLIENT_ID" in message
    assert "LEADRANK_SALESFORCE_CLIENT_SECRET" in message
    assert wrong not in message and wrong not in repr(client) and wrong not in str(vars(client))
    assert failure.value.retriable is False
    assert len(org.requests) == 1 and naps.taken == []  # never retried

    with pytest.raises(SalesforceAuthError, match="invalid_client_id"):
        salesforce(client_id="3MVG9someone.else").describe("Lead")


def test_empty_or_odd_settings_are_refused(http: httpx.Client) -> None:
    def make(
        url: str = "https://acme.my.salesforce.com",
        client_id: str = "3MVG9app",
        client_secret: str = "s3cret",
        api_version: str = "v60.0",
    ) -> SalesforceClient:
        return SalesforceClient(
            http, url=url, client_id=client_id, client_secret=client_secret, api_version=api_version
        )

    with pytest.raises(BadInput, match="LEADRANK_SALESFORCE_CLIENT_SECRET"):
        make(client_secret=" ")
    with pytest.raises(BadInput, match="LEADRANK_SALESFORCE_CLIENT_ID"):
        make(client_id="")
    with pytest.raises(BadInput, match="My Domain"):
        make(url="acme.my.salesforce.com")
    with pytest.raises(BadInput, match=r"like v60\.0"):
        make(api_version="60")


# -- reading -----------------------------------------------------------------------------


def test_modified_since_follows_every_batch_and_keeps_only_later_changes(
    org: FakeSalesforce, salesforce: MakeClient
) -> None:
    org.org = sample_org(leads=30, seed=3)
    org.batch_size = 4
    stored = sorted(org.org.records["Lead"].values(), key=lambda r: (r["SystemModstamp"], r["Id"]))
    since = datetime.fromisoformat(stored[9]["SystemModstamp"])
    touched = stored[0]["Id"]  # the oldest change, changed again now
    org.touch("Lead", touched, Title="CEO")

    records = list(salesforce().modified_since("Lead", ["Email", "Title"], since))

    later = [r for r in stored if r["SystemModstamp"] > sf_datetime(since) and r["Id"] != touched]
    assert [r["Id"] for r in records] == [r["Id"] for r in later] + [touched]
    assert 10 < len(records) < 30
    assert records[-1]["Title"] == "CEO"
    assert set(records[0]) == {"attributes", "Id", "SystemModstamp", "Email", "Title"}
    assert records[0]["attributes"]["type"] == "Lead"
    assert records[0]["attributes"]["url"].endswith(f"/sobjects/Lead/{records[0]['Id']}")
    stamps = [(r["SystemModstamp"], r["Id"]) for r in records]
    assert stamps == sorted(stamps)

    queries = org.calls("/query")
    assert len(queries) == math.ceil(len(records) / 4)
    assert queries[0].query["q"] == (
        "SELECT Id, SystemModstamp, Email, Title FROM Lead "
        f"WHERE SystemModstamp > {since.strftime('%Y-%m-%dT%H:%M:%S')}.000Z "
        "ORDER BY SystemModstamp ASC, Id ASC"
    )
    assert [q.path.rsplit("-", 1)[-1] for q in queries[1:]] == [
        str(4 * k) for k in range(1, len(queries))
    ]


def test_modified_since_without_a_date_reads_everything(
    org: FakeSalesforce, salesforce: MakeClient
) -> None:
    records = list(salesforce().modified_since("Contact", ["Email", "AccountId"], None))
    assert len(records) == len(org.org.records["Contact"]) == 10
    assert "WHERE" not in org.calls("/query")[0].query["q"]
    assert len(org.calls("/query")) == 1  # one batch of the default 2000


def test_the_soql_built_for_a_sync() -> None:
    since = datetime(2026, 3, 2, 10, 0, 0, 123456, tzinfo=UTC)
    assert modified_since_soql("Lead", ["id", "Email", "Leadrank_Score__c"], since) == (
        "SELECT Id, SystemModstamp, Email, Leadrank_Score__c FROM Lead "
        "WHERE SystemModstamp > 2026-03-02T10:00:00.123Z ORDER BY SystemModstamp ASC, Id ASC"
    )
    naive = datetime(2026, 3, 2, 9, 0)  # taken as UTC
    assert "> 2026-03-02T09:00:00.000Z " in modified_since_soql("Contact", [], naive)


@pytest.mark.parametrize(
    ("sobject", "fields"),
    [
        ("Lead WHERE IsConverted = false", ["Email"]),
        ("Lead", ["Email FROM User --"]),
        ("Lead", ["(SELECT Id FROM Contacts)"]),
        ("Lead", ["Email'"]),
        ("Lead", ["Name, Password__c"]),
        ("Lead", ["Email\tOR"]),
        ("Lead", ["Title_"]),
        ("", ["Email"]),
        ("Lead", [""]),
        ("Lead\n", ["Email"]),
    ],
)
def test_names_that_could_change_the_soql_are_refused_before_any_call(
    org: FakeSalesforce, salesforce: MakeClient, sobject: str, fields: list[str]
) -> None:
    client = salesforce()
    with pytest.raises(BadInput, match="not a Salesforce API name"):
        list(client.modified_since(sobject, fields, None))
    with pytest.raises(BadInput, match="not a Salesforce API name"):
        client.update_records(sobject, [{"Id": record_id("Lead", 1), fields[0]: 1}])
    assert org.requests == [] and client.calls == 0


def test_namespaced_and_custom_names_pass() -> None:
    soql = modified_since_soql("acme__Deal__c", ["Leadrank_Score__c", "acme__Tier__c"], None)
    assert soql.startswith(
        "SELECT Id, SystemModstamp, Leadrank_Score__c, acme__Tier__c FROM acme__Deal__c"
    )


def test_missing_fields_names_exactly_the_missing_custom_fields(
    org: FakeSalesforce, salesforce: MakeClient
) -> None:
    client = salesforce()
    wanted = ["Email", *LEADRANK_FIELDS]
    assert client.missing_fields("Lead", wanted) == list(LEADRANK_FIELDS)
    org.org.create_fields("Lead", LEADRANK_FIELDS[:5])
    assert client.missing_fields("Lead", wanted) == list(LEADRANK_FIELDS[5:])
    org.create_leadrank_fields()
    assert client.missing_fields("lead", ["email", "LEADRANK_SCORE__C"]) == []
    assert client.missing_fields("Contact", wanted) == []
    described = {f["name"]: f for f in client.describe("Lead")["fields"]}
    assert described["Leadrank_Score__c"]["custom"] is True
    assert described["SystemModstamp"]["updateable"] is False


def test_a_query_salesforce_refuses_is_a_clear_permanent_error(
    org: FakeSalesforce, salesforce: MakeClient, naps: Naps
) -> None:
    client = salesforce()
    with pytest.raises(SalesforceError) as failure:
        list(client.query("SELECT Id FROM Lead LIMIT 5"))
    assert failure.value.retriable is False and failure.value.error_code == "MALFORMED_QUERY"
    assert failure.value.message.startswith(
        "Salesforce refused GET /services/data/v60.0/query: 400 MALFORMED_QUERY: unexpected token"
    )
    with pytest.raises(SalesforceError) as unknown:
        list(client.modified_since("Lead", ["Leadrank_Score__c"], None))
    assert unknown.value.error_code == "INVALID_FIELD"
    assert "No such column 'Leadrank_Score__c' on entity 'Lead'" in unknown.value.message
    assert "connected app's user can see them" in unknown.value.message
    with pytest.raises(SalesforceError, match="404 NOT_FOUND"):
        client.describe("Invoice__c")
    assert naps.taken == [] and len(org.calls("/services/data")) == 3  # none retried


# -- writing -----------------------------------------------------------------------------


def test_update_records_sends_450_records_as_200_200_50(
    org: FakeSalesforce, salesforce: MakeClient
) -> None:
    org.org = sample_org(leads=450, contacts=0)
    org.create_leadrank_fields()
    ids = lead_ids(org)
    before = {i: org.record("Lead", i)["SystemModstamp"] for i in ids}

    outcome = salesforce().update_records("Lead", scores(ids))

    assert outcome.updated == ids and outcome.failed == {}
    patches = org.calls(PATCH)
    assert [len(p.body["records"]) for p in patches] == [200, 200, 50]
    assert all(p.method == "PATCH" and p.body["allOrNone"] is False for p in patches)
    assert patches[0].body["records"][0] == {
        "attributes": {"type": "Lead"},
        "id": ids[0],
        "Leadrank_Score__c": 0,
        "Leadrank_Grade__c": "A",
    }
    assert set(org.org.writes) == set(ids) and set(org.org.writes.values()) == {1}
    after = org.record("Lead", ids[7])
    assert after["Leadrank_Score__c"] == 7 and after["SystemModstamp"] > before[ids[7]]


def test_records_salesforce_refuses_are_reported_by_id(
    org: FakeSalesforce, salesforce: MakeClient
) -> None:
    org.create_leadrank_fields()
    ids = lead_ids(org)
    validation, gone, locked = ids[2], ids[5], ids[9]
    org.fail_records(validation, message="Score needs an owner")
    org.org.delete("Lead", gone)
    never = record_id("Lead", 9999)
    records = [*scores(ids), {"Id": never, "Leadrank_Score__c": 1}]
    records[ids.index(locked)]["SystemModstamp"] = "2026-01-01T00:00:00.000+0000"

    outcome = salesforce().update_records("Lead", records)

    assert outcome.failed == {
        validation: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Score needs an owner",
        gone: "ENTITY_IS_DELETED: entity is deleted",
        locked: outcome.failed[locked],
        never: "INVALID_CROSS_REFERENCE_KEY: invalid cross reference id",
    }
    assert outcome.failed[locked].startswith(
        "INVALID_FIELD_FOR_INSERT_UPDATE: Unable to create/update fields: SystemModstamp."
    )
    assert outcome.updated == [i for i in ids if i not in (validation, gone, locked)]
    assert org.org.writes[validation] == 0 and org.org.writes[ids[0]] == 1
    assert len(org.calls(PATCH)) == 1


def test_a_field_the_org_lacks_refuses_the_request_and_says_what_was_saved(
    org: FakeSalesforce, salesforce: MakeClient
) -> None:
    org.org = sample_org(leads=260, contacts=0)
    ids = lead_ids(org)
    records: list[dict[str, object]] = [{"Id": i, "Title": "CTO"} for i in ids[:200]]
    records += [{"Id": i, "Leadrank_Score__c": 50} for i in ids[200:]]

    with pytest.raises(SalesforceError) as failure:
        salesforce().update_records("Lead", records)

    error = failure.value
    assert error.error_code == "INVALID_FIELD" and error.retriable is False
    assert (
        "400 INVALID_FIELD: No such column 'Leadrank_Score__c' on sobject of type Lead"
        in error.message
    )
    assert error.outcome is not None and error.outcome.updated == ids[:200]
    assert all(org.org.writes[i] == 0 for i in ids[200:])


def test_a_429_storm_is_waited_out_and_every_record_is_written_once(
    org: FakeSalesforce, salesforce: MakeClient, naps: Naps, pace: RecordingPace
) -> None:
    org.org = sample_org(leads=450, contacts=0)
    org.create_leadrank_fields()
    ids = lead_ids(org)
    client = salesforce()
    client.describe("Lead")  # the token first, so the storm hits the updates
    org.fail("429", times=9, path=PATCH)

    outcome = client.update_records("Lead", scores(ids))

    assert outcome.updated == ids and outcome.failed == {}
    assert len(org.org.writes) == 450 and set(org.org.writes.values()) == {1}
    assert org.record("Lead", ids[449])["Leadrank_Score__c"] == 449 % 100
    statuses = [p.status for p in org.calls(PATCH)]
    assert statuses == [429] * 9 + [200] * 3
    assert pace.holds == [("salesforce", 1.0)] * 9  # Retry-After: 1, for the whole lane
    assert naps.taken == [1.0] * 9  # each next turn came after the hold
    assert pace.turns == ["salesforce"] * client.calls  # a turn before every request
    assert client.calls == len(org.requests) == 2 + 12


def test_a_429_without_retry_after_holds_for_a_growing_backoff(
    org: FakeSalesforce, salesforce: MakeClient, naps: Naps
) -> None:
    org.fail("429", times=3, retry_after="")
    assert salesforce(backoff=0.5).describe("Lead")["name"] == "Lead"
    assert naps.taken == [0.5, 1.0, 2.0]


def test_a_rate_limit_longer_than_we_wait_is_handed_back(
    org: FakeSalesforce, salesforce: MakeClient, naps: Naps
) -> None:
    org.fail("429", times=50)
    with pytest.raises(SalesforceError) as failure:
        salesforce(max_wait=5).describe("Lead")
    assert failure.value.retriable is True and failure.value.retry_after == 1
    assert "kept rate limiting" in failure.value.message
    assert naps.taken == [1.0] * 5 and len(org.calls("/describe")) == 6


def test_server_errors_are_retried_with_a_growing_backoff(
    org: FakeSalesforce, salesforce: MakeClient, naps: Naps
) -> None:
    org.fail("500", times=2)
    assert len(list(salesforce(backoff=0.5).modified_since("Lead", [], None))) == 20
    assert naps.taken == [0.5, 1.0]
    assert [r.status for r in org.calls("/query")] == [500, 500, 200]


def test_an_outage_that_lasts_gives_up_as_retriable(
    org: FakeSalesforce, salesforce: MakeClient, naps: Naps
) -> None:
    org.create_leadrank_fields()
    org.fail("500", times=100, path=PATCH)
    client = salesforce(max_attempts=3, backoff=0.5)
    with pytest.raises(SalesforceError) as failure:
        client.update_records("Lead", scores(lead_ids(org)))
    error = failure.value
    assert error.retriable is True and "after 3 tries" in error.message
    assert "500 UNKNOWN_EXCEPTION" in error.message
    assert error.outcome is not None and error.outcome.updated == []
    assert naps.taken == [0.5, 1.0] and len(org.calls(PATCH)) == 3
    assert sum(org.org.writes.values()) == 0


def test_a_timeout_is_retried(org: FakeSalesforce, salesforce_url: str, naps: Naps) -> None:
    org.slow_seconds = 1.0
    org.fail("slow", times=1, path="/describe")
    with httpx.Client(timeout=0.3) as impatient:
        client = SalesforceClient(
            impatient,
            url=salesforce_url,
            client_id=FAKE_CLIENT_ID,
            client_secret=FAKE_CLIENT_SECRET,
            backoff=0.1,
            sleep=naps.sleep,
            clock=naps.clock,
        )
        assert client.describe("Contact")["name"] == "Contact"
    assert naps.taken == [0.1] and len(org.calls("/describe")) == 2


def test_the_daily_limit_is_retriable_and_says_so(
    org: FakeSalesforce, salesforce: MakeClient, naps: Naps
) -> None:
    org.fail("daily_limit")
    client = salesforce()
    with pytest.raises(SalesforceError) as failure:
        client.describe("Lead")
    error = failure.value
    assert error.retriable is True and error.error_code == "REQUEST_LIMIT_EXCEEDED"
    assert "daily API request limit is used up" in error.message
    assert "403 REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded." in error.message
    assert naps.taken == [] and len(org.calls("/describe")) == 1  # not retried in place

    org.daily_limit = 2  # the refused request above counted for nothing
    client.describe("Lead")
    client.describe("Lead")
    assert client.api_usage == (2, 2)
    with pytest.raises(SalesforceError, match="daily API request limit"):
        client.describe("Lead")


def test_the_lane_keeps_bursts_to_the_calls_per_second(
    org: FakeSalesforce, salesforce: MakeClient, naps: Naps
) -> None:
    client = salesforce(calls_per_second=2)
    for _ in range(4):
        client.describe("Account")
    assert client.calls == 5  # a token and four describes
    assert naps.taken == [1.0, 1.0]  # the 3rd and 5th calls waited for the next second
