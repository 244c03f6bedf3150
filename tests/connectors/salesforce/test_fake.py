"""The fake org itself, spoken to directly: the sample org is deterministic and quick to build,
ids carry Salesforce's checksum, and the fake answers as Salesforce's REST API does where the
client relies on it (token shape, batches, collection limits, allOrNone)."""

from __future__ import annotations

import time

import httpx
import pytest

from leadrank.connectors.salesforce.fake import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    FakeSalesforce,
    id18,
    record_id,
    sample_org,
)

DATA = "/services/data/v60.0"


@pytest.fixture
def session(http: httpx.Client, salesforce_url: str) -> httpx.Client:
    """An HTTP client with a token of the fake, on its instance URL."""
    token = http.post(
        f"{salesforce_url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": FAKE_CLIENT_ID,
            "client_secret": FAKE_CLIENT_SECRET,
        },
    ).json()
    assert set(token) == {
        "access_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    }
    assert token["token_type"] == "Bearer" and token["instance_url"] == salesforce_url
    http.base_url = httpx.URL(salesforce_url)
    http.headers["Authorization"] = f"Bearer {token['access_token']}"
    return http


def test_the_sample_org_is_deterministic_quick_and_well_formed() -> None:
    started = time.perf_counter()
    big = sample_org(leads=10_000, contacts=3_000)
    assert time.perf_counter() - started < 2.0
    assert len(big.records["Lead"]) == 10_000 and len(big.records["Account"]) == 1_000
    assert sample_org(seed=4) == sample_org(seed=4) != sample_org(seed=5)
    org = sample_org()
    for sobject, prefix in (
        ("Lead", "00Q"),
        ("Contact", "003"),
        ("Account", "001"),
        ("Opportunity", "006"),
    ):
        for key, record in org.records[sobject].items():
            assert (
                key == record["Id"] == id18(key[:15]) and key.startswith(prefix) and len(key) == 18
            )
            assert record["CreatedDate"] <= record["SystemModstamp"]
    contact = next(iter(org.records["Contact"].values()))
    assert contact["AccountId"] in org.records["Account"]


def test_ids_carry_salesforces_case_checksum() -> None:
    assert id18("001A0000006Vm9r") == "001A0000006Vm9rIAC"  # Salesforce's documented example
    assert record_id("Lead", 1) == id18(record_id("Lead", 1)[:15])


def test_query_batches_link_by_next_records_url(org: FakeSalesforce, session: httpx.Client) -> None:
    org.batch_size = 8
    soql = "select Id, email from LEAD order by SystemModstamp asc, Id asc"
    first = session.get(f"{DATA}/query", params={"q": soql}).json()
    assert first["totalSize"] == 20 and first["done"] is False and len(first["records"]) == 8
    assert first["nextRecordsUrl"].startswith(f"{DATA}/query/01g")
    assert first["nextRecordsUrl"].endswith("-8")
    assert set(first["records"][0]) == {"attributes", "Id", "Email"}
    second = session.get(first["nextRecordsUrl"]).json()
    third = session.get(second["nextRecordsUrl"]).json()
    assert third["done"] is True and "nextRecordsUrl" not in third and len(third["records"]) == 4
    gone = session.get(f"{DATA}/query/01gDn0000000000099-8")
    assert gone.status_code == 400 and gone.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM Lead", "MALFORMED_QUERY"),
        (
            "SELECT Id FROM Lead WHERE SystemModstamp > '2026-01-01T00:00:00Z' ORDER BY SystemModstamp ASC, Id ASC",
            "MALFORMED_QUERY",
        ),
        ("SELECT Id FROM Invoice__c ORDER BY SystemModstamp ASC, Id ASC", "INVALID_TYPE"),
        ("SELECT Id, Nope FROM Lead ORDER BY SystemModstamp ASC, Id ASC", "INVALID_FIELD"),
    ],
)
def test_queries_outside_the_subset_are_refused(
    session: httpx.Client, soql: str, code: str
) -> None:
    answer = session.get(f"{DATA}/query", params={"q": soql})
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == code


def test_a_collection_over_200_records_is_refused_whole(
    org: FakeSalesforce, session: httpx.Client
) -> None:
    org.org = sample_org(leads=201, contacts=0)
    records = [
        {"attributes": {"type": "Lead"}, "id": i, "Title": "CTO"} for i in org.org.records["Lead"]
    ]
    answer = session.patch(
        f"{DATA}/composite/sobjects", json={"allOrNone": False, "records": records}
    )
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    assert sum(org.org.writes.values()) == 0


def test_all_or_none_rolls_every_record_back(org: FakeSalesforce, session: httpx.Client) -> None:
    good, malformed = next(iter(org.org.records["Lead"])), record_id("Contact", 1)
    records = [
        {"attributes": {"type": "Lead"}, "id": good, "Title": "CTO"},
        {"attributes": {"type": "Lead"}, "id": malformed, "Title": "CTO"},
    ]
    answer = session.patch(
        f"{DATA}/composite/sobjects", json={"allOrNone": True, "records": records}
    ).json()
    assert [r["success"] for r in answer] == [False, False]
    assert answer[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert answer[1]["errors"][0] == {
        "statusCode": "MALFORMED_ID",
        "message": f"Lead ID: id value of incorrect type: {malformed}",
        "fields": ["Id"],
    }
    assert org.record("Lead", good)["Title"] != "CTO" and sum(org.org.writes.values()) == 0

    records[1]["id"] = good[:15]  # a 15-character id is the same record
    answer = session.patch(f"{DATA}/composite/sobjects", json={"records": records}).json()
    assert answer == [{"id": good, "success": True, "errors": []}] * 2


def test_calls_without_a_live_session_are_refused(
    org: FakeSalesforce, session: httpx.Client
) -> None:
    org.expire_tokens()
    answer = session.get(f"{DATA}/sobjects/Lead/describe")
    assert answer.status_code == 401
    assert answer.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    assert org.requests[-1].status == 401
