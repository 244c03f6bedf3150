"""Salesforce pulled into a real workspace (SQLite and PostgreSQL) over real HTTP to the fake
org: Leads and Contacts become leads with their Account's firmographics and their owner's
email, converted Leads stay out, a second pull reads only what changed since the stamp the
first one stored, and closed Opportunities become won and lost outcomes of their Contact's
lead that training labels see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from leadrank.config import get_settings
from leadrank.connectors.salesforce.client import SalesforceClient, soql_datetime, with_ids_soql
from leadrank.connectors.salesforce.fake import OWNERS, USERS, FakeSalesforce, sample_org
from leadrank.connectors.salesforce.pull import (
    CONTACT_FIELDS,
    LOOKBACK,
    OBJECT_TYPES,
    PullReport,
    pull,
)
from leadrank.db.engine import session_scope
from leadrank.errors import BadInput
from leadrank.features.frames import workspace_frames
from leadrank.orm import (
    BronzeRecord,
    Company,
    CrmLink,
    Event,
    Import,
    Job,
    Lead,
    LeadKey,
    SyncState,
)
from leadrank.training.labels import gold_labels
from leadrank.training.outcomes import parse_label
from tests.conftest import Workspace

MakeClient = Callable[..., SalesforceClient]
EMAILS = {user_id: email for user_id, _, email, _ in USERS}


def run_pull(workspace: Workspace, client: SalesforceClient, **options: Any) -> PullReport:
    return pull(workspace.engine, get_settings(), client, **options)


def lead_of(workspace: Workspace, remote_id: str) -> Lead:
    with session_scope(workspace.engine) as session:
        lead_id = session.scalar(
            select(LeadKey.lead_id).where(
                LeadKey.key_type == "ext", LeadKey.key_value == f"salesforce:{remote_id}"
            )
        )
        assert lead_id is not None, remote_id
        lead = session.get(Lead, lead_id)
        assert lead is not None
        session.expunge(lead)
        return lead


def company_of(workspace: Workspace, lead: Lead) -> Company:
    with session_scope(workspace.engine) as session:
        company = session.get(Company, lead.company_id)
        assert company is not None
        session.expunge(company)
        return company


def stamps(workspace: Workspace) -> dict[str, datetime]:
    """Each object type's newest stamp stored by the pulls."""
    with session_scope(workspace.engine) as session:
        found = dict(
            session.execute(
                select(SyncState.object_type, SyncState.modified_through).where(
                    SyncState.vendor == "salesforce"
                )
            ).all()
        )
    assert all(moment is not None for moment in found.values())
    return {kind: moment for kind, moment in found.items() if moment is not None}


def newest(org: FakeSalesforce, sobject: str) -> datetime:
    return datetime.fromisoformat(
        max(r["SystemModstamp"] for r in org.org.records[sobject].values())
    )


def test_a_first_pull_makes_leads_of_leads_and_contacts_with_their_accounts(
    workspace: Workspace, org: FakeSalesforce, salesforce: MakeClient
) -> None:
    converted = org.add(
        "Lead",
        FirstName="Otto",
        LastName="Brandt",
        Email="otto.brandt@nordwind.de",
        Company="Nordwind",
        IsConverted=True,
        OwnerId=OWNERS[0],
    )
    report = run_pull(workspace, salesforce())

    assert (report.leads, report.converted, report.contacts, report.accounts) == (21, 1, 10, 4)
    assert report.people.leads_created == 30 and report.people.quarantined == 0
    assert report.hidden_fields == [] and report.unstorable == 0
    assert report.as_json()["people"] == 30 and report.as_json()["companies"] == 4
    assert (report.linked_leads, report.linked_contacts, report.linked_accounts) == (20, 10, 4)

    # A Contact: its own name, title and place, its Account's name, website and firmographics.
    contact_id = next(iter(org.org.records["Contact"]))
    contact = org.record("Contact", contact_id)
    account = org.record("Account", contact["AccountId"])
    person = lead_of(workspace, contact_id)
    assert (person.email, person.first_name, person.job_title) == (
        contact["Email"],
        contact["FirstName"],
        contact["Title"],
    )
    assert person.company_name == account["Name"]
    assert person.company_domain == account["Website"].removeprefix("https://www.")
    assert person.owner == EMAILS[contact["OwnerId"]]
    assert person.attributes["salesforce_owner_id"] == contact["OwnerId"]
    assert person.attributes["salesforce_account_id"] == account["Id"]
    assert "SystemModstamp" not in person.attributes and "attributes" not in person.attributes
    assert person.source_created_at == datetime.fromisoformat(contact["CreatedDate"])
    firm = company_of(workspace, person)
    assert (firm.name, firm.industry, firm.employees, firm.revenue) == (
        account["Name"],
        account["Industry"],
        account["NumberOfEmployees"],
        account["AnnualRevenue"],
    )

    # A Lead: its own company fields, source and status.
    lead_id = next(iter(org.org.records["Lead"]))
    record = org.record("Lead", lead_id)
    lead = lead_of(workspace, lead_id)
    assert (lead.email, lead.company_name, lead.lead_source, lead.lead_status) == (
        record["Email"],
        record["Company"],
        record["LeadSource"],
        record["Status"],
    )
    assert lead.owner == EMAILS[record["OwnerId"]]
    assert company_of(workspace, lead).employees == record["NumberOfEmployees"]

    with session_scope(workspace.engine) as session:
        assert (
            session.scalar(
                select(func.count()).where(LeadKey.key_value == f"salesforce:{converted}")
            )
            == 0
        )
        links = dict(
            session.execute(
                select(CrmLink.object_type, func.count())
                .where(CrmLink.vendor == "salesforce")
                .group_by(CrmLink.object_type)
            ).all()
        )
        assert links == {"Lead": 20, "Contact": 10, "Account": 4}
        assert session.scalar(select(func.count()).select_from(Job)) == 1  # enrich, then score
    assert report.follow_up_job is not None
    assert stamps(workspace) == {
        sobject: newest(org, sobject) for sobject in ("Lead", "Contact", "Account", "Opportunity")
    }


def test_a_second_pull_reads_from_the_stored_stamp_and_ingests_only_what_changed(
    workspace: Workspace,
    org: FakeSalesforce,
    salesforce: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = salesforce()
    first = run_pull(workspace, client)
    floors = stamps(workspace)
    with session_scope(workspace.engine) as session:
        bronze_before = session.scalar(select(func.count()).select_from(BronzeRecord)) or 0
        imports_before = session.scalar(select(func.max(Import.id))) or 0
    lead_id = list(org.org.records["Lead"])[3]
    contact_id = list(org.org.records["Contact"])[2]
    org.touch("Lead", lead_id, Title="Chief Data Officer")
    org.touch("Contact", contact_id, Phone="+1 415 555 9999")
    asked: dict[str, datetime | None] = {}
    original = client.modified_since

    def noting(sobject: str, fields: list[str], since: datetime | None) -> Any:
        asked[sobject] = since
        return original(sobject, fields, since)

    monkeypatch.setattr(client, "modified_since", noting)
    queries_before = len(org.calls("/query"))
    second = run_pull(workspace, client)

    assert asked == {kind: floors[kind] - LOOKBACK for kind in OBJECT_TYPES}
    sent = [r.query["q"] for r in org.calls("/query")[queries_before:]]
    assert f"FROM Lead WHERE SystemModstamp > {soql_datetime(floors['Lead'] - LOOKBACK)} " in (
        " ".join(sent)
    )
    # The records stamped within the lookback are read again, as no-ops; only the two count.
    assert second.people.new == 2 and second.people.leads_updated == 2
    assert second.people.leads_created == 0 and second.events.new == 0
    assert second.leads < first.leads and second.contacts < first.contacts
    with session_scope(workspace.engine) as session:
        assert session.scalar(select(func.count()).select_from(BronzeRecord)) == bronze_before + 2
        new_rows = session.scalars(select(Import.rows_new).where(Import.id > imports_before)).all()
        assert sum(new_rows) == 2
    assert lead_of(workspace, lead_id).job_title == "Chief Data Officer"
    assert lead_of(workspace, contact_id).phone_e164 == "+14155559999"
    assert stamps(workspace)["Lead"] == newest(org, "Lead") > floors["Lead"]

    third = run_pull(workspace, client)
    assert third.people.new == 0 and third.people.leads_updated == 0


def test_an_account_that_changed_brings_its_contacts_again_with_its_new_firmographics(
    workspace: Workspace, org: FakeSalesforce, salesforce: MakeClient
) -> None:
    client = salesforce()
    run_pull(workspace, client)
    account_id = next(iter(org.org.records["Account"]))
    people = [c for c, r in org.org.records["Contact"].items() if r["AccountId"] == account_id]
    org.touch("Account", account_id, NumberOfEmployees=4321, Industry="Software")

    report = run_pull(workspace, client)

    # The Account's Contacts come again (beside records reread within the lookback, no-ops).
    assert len(people) >= 2 and report.contacts >= len(people)
    assert report.people.new == report.people.leads_updated == len(people)
    for contact in people:
        firm = company_of(workspace, lead_of(workspace, contact))
        assert (firm.employees, firm.industry) == (4321, "Software")
    by_account = [r.query["q"] for r in org.calls("/query") if "AccountId IN" in r.query["q"]]
    assert by_account == [with_ids_soql("Contact", CONTACT_FIELDS, [account_id], "AccountId")]


def test_an_account_not_changed_is_read_by_id_for_a_contact_that_changed(
    workspace: Workspace, org: FakeSalesforce, salesforce: MakeClient
) -> None:
    client = salesforce()
    run_pull(workspace, client)
    floor = newest(org, "Account") - LOOKBACK
    reread = {
        a for a, r in org.org.records["Account"].items()
        if datetime.fromisoformat(r["SystemModstamp"]) > floor
    }  # fmt: skip
    contact_id = next(
        c for c, r in org.org.records["Contact"].items() if r["AccountId"] not in reread
    )
    account_id = org.record("Contact", contact_id)["AccountId"]
    org.touch("Contact", contact_id, Title="COO")
    before = len(org.calls("/query"))

    report = run_pull(workspace, client)

    assert report.accounts == len(reread) and report.people.new == 1
    by_id = [r.query["q"] for r in org.calls("/query")[before:] if "WHERE Id IN" in r.query["q"]]
    assert len(by_id) == 1 and f"'{account_id}'" in by_id[0]
    person = lead_of(workspace, contact_id)
    assert person.job_title == "COO"
    assert person.company_name == org.record("Account", account_id)["Name"]


def test_closed_opportunities_become_outcomes_of_their_contacts_lead(
    workspace: Workspace, salesforce: MakeClient, org: FakeSalesforce
) -> None:
    org.org = sample_org(leads=4, contacts=6)
    org.org.records["Opportunity"].clear()
    won, lost, still_open, other = list(org.org.records["Contact"])[:4]

    def opportunity(of: str, stage: str, *, primary: bool = True) -> str:
        person = org.record("Contact", of)
        created = datetime.fromisoformat(person["CreatedDate"])
        return org.add(
            "Opportunity",
            Name=f"Deal {stage}",
            ContactId=of if primary else None,
            AccountId=person["AccountId"],
            Amount=42_000.0,
            CloseDate=(created + timedelta(days=10)).date().isoformat(),
            StageName=stage,
            IsClosed=stage.startswith("Closed"),
            IsWon=stage == "Closed Won",
        )

    won_deal = opportunity(won, "Closed Won")
    lost_deal = opportunity(lost, "Closed Lost")
    opportunity(still_open, "Proposal/Price Quote")
    opportunity(other, "Closed Won", primary=False)  # no primary Contact: nobody's outcome

    report = run_pull(workspace, salesforce())

    assert (report.opportunities, report.outcomes, report.without_contact) == (4, 2, 1)
    assert report.events.events_created == 2 and report.events.quarantined == 0
    with session_scope(workspace.engine) as session:
        events = {
            e.lead_id: (e.event_type, e.occurred_at.date(), e.properties)
            for e in session.scalars(select(Event))
        }
    winner, loser = lead_of(workspace, won).id, lead_of(workspace, lost).id
    assert set(events) == {winner, loser}
    kind, when, properties = events[winner]
    assert kind == "deal_won"
    assert when == date.fromisoformat(org.record("Opportunity", won_deal)["CloseDate"])
    assert properties == {
        "opportunity_id": won_deal,
        "opportunity_name": "Deal Closed Won",
        "amount": "42000.0",
        "stage": "Closed Won",
        "salesforce_account_id": org.record("Contact", won)["AccountId"],
    }
    assert events[loser][0] == "deal_lost"
    assert events[loser][2]["opportunity_id"] == lost_deal

    # Training sees them: a won deal within the window is a positive label, a lost one a
    # negative once the window has closed.
    with session_scope(workspace.engine) as session:
        leads, frame = workspace_frames(session)
    gold = gold_labels(
        leads.select("lead_id", "created_at"),
        frame,
        definition=parse_label("deal_won within 30d"),
        as_of=datetime.now(UTC),
    )
    labels = dict(zip(gold["lead_id"], gold["label"], strict=True))
    assert labels[winner] is True and labels[loser] is False

    # Pulled again (the stamps reread within the lookback), nothing is added twice; a lost
    # Opportunity reopened and won is news.
    org.touch("Opportunity", lost_deal, StageName="Closed Won", IsWon=True)
    again = run_pull(workspace, salesforce())
    assert again.events.events_created == 1
    with session_scope(workspace.engine) as session:
        kinds = session.scalars(select(Event.event_type).where(Event.lead_id == loser)).all()
    assert sorted(kinds) == ["deal_lost", "deal_won"]


def test_since_and_the_fields_the_org_hides_shape_the_queries(
    workspace: Workspace,
    salesforce: MakeClient,
    org: FakeSalesforce,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = salesforce()
    original = client.missing_fields

    def hiding(sobject: str, wanted: list[str]) -> list[str]:
        return original(sobject, wanted) + (["AnnualRevenue"] if sobject == "Lead" else [])

    monkeypatch.setattr(client, "missing_fields", hiding)
    moment = datetime(2026, 2, 1, tzinfo=UTC)
    report = run_pull(workspace, client, since=moment)

    later = [r for r in org.org.records["Lead"].values() if r["SystemModstamp"] > "2026-02-01"]
    assert report.leads == report.people.leads_created - report.contacts == len(later) < 20
    assert report.hidden_fields == ["Lead.AnnualRevenue"]
    lead_query = next(r.query["q"] for r in org.calls("/query") if "FROM Lead" in r.query["q"])
    assert f"SystemModstamp > {soql_datetime(moment)} " in lead_query
    assert "AnnualRevenue" not in lead_query


def test_ids_are_checked_before_a_query_by_ids(org: FakeSalesforce, salesforce: MakeClient) -> None:
    client = salesforce()
    with pytest.raises(BadInput, match="not a Salesforce record id"):
        list(client.with_ids("Account", ["Name"], [*org.org.records["Account"], "001') OR ('1"]))
    assert org.requests == []
    account = next(iter(org.org.records["Account"]))
    found = list(client.with_ids("Account", ["Name"], [account[:15], account]))
    assert [r["Id"] for r in found] == [account]  # one id, whatever its length, once
