"""Scores pushed from a real workspace (SQLite and PostgreSQL) onto the fake org's Leads and
Contacts over real HTTP: refused whole, naming each field to create, while the org lacks
leadrank's fields; then each linked record written once with numbers as numbers, only changed
values sent after that, a 429 storm waited out without losing or repeating a write, a push
stopped half-way resumed without resending, records Salesforce refuses reported and sent again;
and the sync that runs pull and push from the settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from leadrank.config import get_settings
from leadrank.connectors.crm_links import Linked, linked
from leadrank.connectors.salesforce import push as push_module
from leadrank.connectors.salesforce import sync
from leadrank.connectors.salesforce.client import SalesforceClient, SalesforceError
from leadrank.connectors.salesforce.fake import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    LEADRANK_FIELDS,
    OWNERS,
    USERS,
    FakeSalesforce,
    sample_org,
)
from leadrank.connectors.salesforce.pull import pull
from leadrank.connectors.salesforce.push import (
    FIELD_NAMES,
    PushReport,
    push,
    record_values,
    salesforce_value,
)
from leadrank.connectors.score_values import lead_values
from leadrank.db.engine import session_scope
from leadrank.errors import BadInput
from leadrank.leads.grade_overrides import set_override
from leadrank.orm import CrmLink
from leadrank.scoring.score_run import score_workspace
from tests.conftest import Workspace
from tests.connectors.conftest import Naps

MakeClient = Callable[..., SalesforceClient]
PATCH = "/composite/sobjects"
MISSING_EVERYWHERE = """\
Salesforce lacks fields leadrank writes scores to, so nothing was sent.
An admin must create them (Setup > Object Manager > the object > Fields & Relationships > New, \
visible and editable for the connected app's user):
  Lead: Leadrank_Score__c (Number(3, 0)), Leadrank_Grade__c (Text(1)), \
Leadrank_Probability__c (Number(5, 4)), Leadrank_Reasons__c (Long Text Area(1000)), \
Leadrank_Fit__c (Number(3, 0)), Leadrank_Engagement__c (Number(3, 0)), \
Leadrank_Model_Version__c (Text(40)), Leadrank_Scored_At__c (Date/Time)
  Contact: Leadrank_Score__c (Number(3, 0)), Leadrank_Grade__c (Text(1)), \
Leadrank_Probability__c (Number(5, 4)), Leadrank_Reasons__c (Long Text Area(1000)), \
Leadrank_Fit__c (Number(3, 0)), Leadrank_Engagement__c (Number(3, 0)), \
Leadrank_Model_Version__c (Text(40)), Leadrank_Scored_At__c (Date/Time)
Then push again."""


@pytest.fixture
def scored(workspace: Workspace, org: FakeSalesforce, salesforce: MakeClient) -> SalesforceClient:
    """A small org pulled into the workspace and scored by the rules; a client of it."""
    org.org = sample_org(leads=6, contacts=4)
    client = salesforce()
    pull(workspace.engine, get_settings(), client)
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    return client


def links(workspace: Workspace) -> dict[str, list[Linked]]:
    with session_scope(workspace.engine) as session:
        return {
            sobject: linked(session, vendor="salesforce", object_type=sobject, changed_only=False)
            for sobject in ("Lead", "Contact")
        }


def patched(org: FakeSalesforce, since: int = 0) -> list[dict[str, Any]]:
    """The records the PATCH requests after the first `since` carried."""
    return [record for r in org.calls(PATCH)[since:] for record in r.body["records"]]


def test_a_push_refuses_naming_every_missing_field_and_sends_nothing(
    workspace: Workspace,
    org: FakeSalesforce,
    scored: SalesforceClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(BadInput) as refused:
        push(workspace.engine, scored)
    assert str(refused.value) == MISSING_EVERYWHERE
    assert refused.value.status_code == 400

    org.org.create_fields("Lead", LEADRANK_FIELDS)
    org.org.create_fields("Contact", LEADRANK_FIELDS[:6])
    with pytest.raises(BadInput) as still:
        push(workspace.engine, scored)
    assert str(still.value).splitlines()[2:] == [
        "  Contact: Leadrank_Model_Version__c (Text(40)), Leadrank_Scored_At__c (Date/Time)",
        "Then push again.",
    ]
    assert org.calls(PATCH) == []
    assert all(not link.pushed for found in links(workspace).values() for link in found)
    assert FIELD_NAMES == LEADRANK_FIELDS  # the fake's fields are the push's own list

    # Fields that exist but the connected app's user may not edit are named too.
    org.create_leadrank_fields()
    described = scored.describe

    def read_only(sobject: str) -> dict[str, Any]:
        document = described(sobject)
        for found in document["fields"]:
            if sobject == "Contact" and found["name"] in ("Leadrank_Score__c", "Leadrank_Fit__c"):
                found["updateable"] = False
        return document

    monkeypatch.setattr(scored, "describe", read_only)
    with pytest.raises(BadInput) as locked:
        push(workspace.engine, scored)
    assert str(locked.value) == (
        "leadrank may not edit the fields it writes scores to, so nothing was sent.\n"
        "An admin must make these editable for the connected app's user (field-level "
        "security):\n"
        "  Contact: Leadrank_Score__c, Leadrank_Fit__c\n"
        "Then push again."
    )
    assert org.calls(PATCH) == []


def test_each_linked_record_is_written_once_then_only_what_changed(
    workspace: Workspace, org: FakeSalesforce, scored: SalesforceClient
) -> None:
    org.create_leadrank_fields()
    report = push(workspace.engine, scored)

    assert (report.leads_linked, report.leads_sent, report.contacts_sent) == (6, 6, 4)
    assert report.refused == {} and report.as_json()["people_sent"] == 10
    found = links(workspace)
    with session_scope(workspace.engine) as session:
        values = lead_values(session, [k.local_id for v in found.values() for k in v])
    for sobject, records in found.items():
        for link in records:
            mine = values[link.local_id]
            stored = org.record(sobject, link.remote_id)
            assert stored["Leadrank_Score__c"] == int(mine["score"])
            assert stored["Leadrank_Grade__c"] == mine["grade"]
            assert stored["Leadrank_Fit__c"] == int(mine["fit"])
            assert stored["Leadrank_Engagement__c"] == int(mine["engagement"])
            assert stored["Leadrank_Reasons__c"] == mine["reasons"]
            assert stored["Leadrank_Model_Version__c"] == mine["model_version"]
            assert stored["Leadrank_Scored_At__c"] == mine["scored_at"].replace("+00:00", "Z")
            assert "Leadrank_Probability__c" not in stored  # the rules give no probability
            assert link.pushed == {
                name: str(value)
                for name, value in {
                    "Leadrank_Score__c": mine["score"],
                    "Leadrank_Grade__c": mine["grade"],
                    "Leadrank_Reasons__c": mine["reasons"],
                    "Leadrank_Fit__c": mine["fit"],
                    "Leadrank_Engagement__c": mine["engagement"],
                    "Leadrank_Model_Version__c": mine["model_version"],
                    "Leadrank_Scored_At__c": mine["scored_at"],
                }.items()
            }
    assert all(n == 1 for n in org.org.writes.values()) and len(org.org.writes) == 10
    assert [r.body["records"][0]["attributes"]["type"] for r in org.calls(PATCH)] == [
        "Lead",
        "Contact",
    ]
    assert isinstance(patched(org)[0]["Leadrank_Score__c"], int)

    again = push(workspace.engine, scored)  # nothing new: no record is even considered
    assert (again.leads_sent, again.contacts_sent, again.as_json()["people_linked"]) == (0, 0, 0)
    assert len(org.calls(PATCH)) == 2

    contact = found["Contact"][1]
    grade = "A" if values[contact.local_id]["grade"] != "A" else "E"
    with session_scope(workspace.engine) as session:
        set_override(session, lead_id=contact.local_id, grade=grade, reason="met them", by="ana")
    third = push(workspace.engine, scored)
    assert (third.leads_sent, third.contacts_sent) == (0, 1)
    assert patched(org, 2) == [
        {"attributes": {"type": "Contact"}, "id": contact.remote_id, "Leadrank_Grade__c": grade}
    ]
    assert org.record("Contact", contact.remote_id)["Leadrank_Grade__c"] == grade


def test_a_429_storm_during_a_push_loses_and_repeats_nothing(
    workspace: Workspace, org: FakeSalesforce, scored: SalesforceClient, naps: Naps
) -> None:
    org.create_leadrank_fields()
    org.fail("429", times=5, path=PATCH)

    report = push(workspace.engine, scored)

    assert report.leads_sent + report.contacts_sent == 10 and report.refused == {}
    assert [r.status for r in org.calls(PATCH)] == [429] * 5 + [200, 200]
    assert sorted(org.org.writes.values()) == [1] * 10  # each record written once
    assert naps.taken.count(1.0) >= 5  # each Retry-After waited out
    assert push(workspace.engine, scored).leads_sent == 0 and len(org.calls(PATCH)) == 7


def test_a_push_stopped_half_way_resends_only_what_is_left(
    workspace: Workspace,
    org: FakeSalesforce,
    scored: SalesforceClient,
    salesforce: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org.create_leadrank_fields()
    monkeypatch.setattr(push_module, "COLLECTION_LIMIT", 4)  # Leads go 4, then 2
    client = salesforce(max_wait=3.0)
    original = client.update_records
    sent: list[int] = []

    def storm_after_the_first(sobject: str, records: list[dict[str, Any]]) -> Any:
        if sent:  # a storm that outlasts the client's patience: 4 tries, 3 s of holds
            org.fail("429", times=4, path=PATCH, retry_after="1")
        sent.append(len(records))
        return original(sobject, records)

    monkeypatch.setattr(client, "update_records", storm_after_the_first)
    with pytest.raises(SalesforceError) as stopped:
        push(workspace.engine, client)
    assert stopped.value.retriable
    assert len(org.org.writes) == 4
    assert sum(1 for found in links(workspace).values() for k in found if k.pushed) == 4

    monkeypatch.setattr(client, "update_records", original)
    report = push(workspace.engine, client)
    assert report.leads_sent + report.contacts_sent == 6
    assert sorted(org.org.writes.values()) == [1] * 10


def test_records_salesforce_refuses_are_reported_and_sent_again_next_time(
    workspace: Workspace, org: FakeSalesforce, scored: SalesforceClient
) -> None:
    org.create_leadrank_fields()
    lead, contact = links(workspace)["Lead"][0].remote_id, links(workspace)["Contact"][0].remote_id
    org.fail_records(lead, contact)

    report = push(workspace.engine, scored)

    reason = "FIELD_CUSTOM_VALIDATION_EXCEPTION: Scores may not be written to this record"
    assert report.refused == {lead: reason, contact: reason}
    assert (report.leads_sent, report.contacts_sent) == (5, 3)
    assert report.as_json()["refused"] == 2
    with session_scope(workspace.engine) as session:
        errors = dict(
            session.execute(
                select(CrmLink.remote_id, CrmLink.push_error).where(CrmLink.push_error.is_not(None))
            ).all()
        )
    assert errors == {lead: reason, contact: reason}
    assert lead not in org.org.writes and contact not in org.org.writes

    org.accept_records(lead, contact)
    before = len(org.calls(PATCH))
    again = push(workspace.engine, scored)
    assert again.refused == {} and (again.leads_sent, again.contacts_sent) == (1, 1)
    assert sorted(r["id"] for r in patched(org, before)) == sorted([lead, contact])
    assert sorted(org.org.writes.values()) == [1] * 10
    with session_scope(workspace.engine) as session:
        assert session.scalar(select(CrmLink.push_error).where(CrmLink.remote_id == lead)) is None


def test_the_owner_goes_when_leadrank_chose_it_and_salesforce_has_the_user(
    workspace: Workspace, org: FakeSalesforce, scored: SalesforceClient
) -> None:
    from leadrank.routing.service import set_owner

    org.create_leadrank_fields()
    lead = links(workspace)["Lead"][0]
    newcomer = "nina.okafor@leadrank-demo.com"  # no Salesforce user of that email
    push(workspace.engine, scored)

    with session_scope(workspace.engine) as session:  # a person in leadrank chose the owner
        set_owner(session, lead_id=lead.local_id, owner=USERS[1][2].upper())
    report = push(workspace.engine, scored)
    assert org.record("Lead", lead.remote_id)["OwnerId"] == OWNERS[1]
    assert report.owners_unknown == set()

    # An owner Salesforce has no active user of is reported, unless a user id is given for it.
    with session_scope(workspace.engine) as session:
        set_owner(session, lead_id=lead.local_id, owner=newcomer)
    assert push(workspace.engine, scored).owners_unknown == {newcomer}
    with session_scope(workspace.engine) as session:  # news again, for the next push to look
        set_owner(session, lead_id=lead.local_id, owner=None)
        set_owner(session, lead_id=lead.local_id, owner=newcomer)
    push(workspace.engine, scored, owner_ids={newcomer: OWNERS[0]})
    assert org.record("Lead", lead.remote_id)["OwnerId"] == OWNERS[0]


def test_values_are_what_each_field_type_takes() -> None:
    owners = {USERS[0][2]: OWNERS[0]}
    report = PushReport()
    chosen = {"score": "73", "grade": "B", "owner": USERS[0][2], "owner_source": "manual"}
    assert record_values(chosen, owners, report)["OwnerId"] == OWNERS[0]
    theirs = {**chosen, "owner_source": "salesforce"}  # Salesforce's own owner stays theirs
    assert "OwnerId" not in record_values(theirs, owners, report)
    assert record_values({}, owners, report) == dict.fromkeys(FIELD_NAMES, "")

    assert salesforce_value("73", "double") == 73
    assert salesforce_value("0.4312", "double") == 0.4312
    assert salesforce_value("0.4312", "percent") == 43.12
    assert salesforce_value("2026-12-06T14:38:20+00:00", "datetime") == "2026-12-06T14:38:20Z"
    assert salesforce_value("2026-12-06T14:38:20", "datetime") == "2026-12-06T14:38:20Z"
    assert salesforce_value("2026-12-06T23:30:00-02:00", "date") == "2026-12-07"
    assert salesforce_value("73", "string") == "73"
    assert salesforce_value("converted-" * 6, "string", 40) == ("converted-" * 6)[:40]
    assert salesforce_value("", "double") is None  # clears the field


def test_the_sync_runs_pull_then_push_with_the_configured_org(
    workspace: Workspace,
    org: FakeSalesforce,
    salesforce_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = get_settings()
    assert "salesforce" not in settings.configured_crms
    with pytest.raises(BadInput) as unset:
        sync.run(workspace.engine, settings, direction="pull")
    assert str(unset.value).startswith(
        "set LEADRANK_SALESFORCE_URL, LEADRANK_SALESFORCE_CLIENT_ID, "
        "LEADRANK_SALESFORCE_CLIENT_SECRET (Salesforce needs all three"
    )
    partly = settings.model_copy(update={"salesforce_url": salesforce_url})
    with pytest.raises(BadInput, match=r"^set LEADRANK_SALESFORCE_CLIENT_ID, LEADRANK_SALES"):
        sync.run(workspace.engine, partly, direction="pull")

    org.org = sample_org(leads=3, contacts=3)
    org.create_leadrank_fields()
    ready = settings.model_copy(
        update={
            "salesforce_url": salesforce_url,
            "salesforce_client_id": FAKE_CLIENT_ID,
            "salesforce_client_secret": SecretStr(FAKE_CLIENT_SECRET),
            "salesforce_calls_per_second": 1_000,  # the shared lane, not the fake, is paced
        }
    )
    assert "salesforce" in ready.configured_crms
    done = sync.run(workspace.engine, ready, direction="pull", requested_by="test")
    assert done["pull"]["people"] == 6 and done["pull"]["follow_up_job"] is not None
    assert "push" not in done and done["calls"] == len(org.requests)

    with session_scope(workspace.engine) as session:
        score_workspace(session)
    both = sync.run(workspace.engine, ready, direction="sync")
    assert both["pull"]["leads_created"] == 0 and both["push"]["people_sent"] == 6
    assert both["push"]["companies_sent"] == 0


def test_the_commands_pull_push_and_sync(
    workspace: Workspace,
    cli: Callable[..., Any],
    org: FakeSalesforce,
    salesforce_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org.org = sample_org(leads=4, contacts=3)
    assert "LEADRANK_SALESFORCE_URL" in cli("connectors", "salesforce", "pull").stderr
    monkeypatch.setenv("LEADRANK_SALESFORCE_URL", salesforce_url)
    monkeypatch.setenv("LEADRANK_SALESFORCE_CLIENT_ID", FAKE_CLIENT_ID)
    monkeypatch.setenv("LEADRANK_SALESFORCE_CLIENT_SECRET", FAKE_CLIENT_SECRET)
    monkeypatch.setenv("LEADRANK_SALESFORCE_CALLS_PER_SECOND", "1000")
    monkeypatch.setenv("LEADRANK_AUTO_ENRICH", "false")
    get_settings.cache_clear()
    pulled = cli("connectors", "salesforce", "pull")
    refused = cli("connectors", "salesforce", "push")
    org.create_leadrank_fields()
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    pushed = cli("connectors", "salesforce", "push")
    synced = cli("connectors", "salesforce", "sync")
    assert pulled.exit_code == 0, pulled.stderr
    assert "salesforce pull:" in pulled.stdout and "queued job" in pulled.stdout
    assert refused.exit_code == 1 and "Then push again." in refused.stderr
    assert pushed.exit_code == 0, pushed.stderr
    assert "0 refused" in pushed.stdout
    for sobject in ("Lead", "Contact"):
        assert all("Leadrank_Score__c" in r for r in org.org.records[sobject].values())
    assert synced.exit_code == 0, synced.stderr
    assert "salesforce push: 0 people updated" in synced.stdout
