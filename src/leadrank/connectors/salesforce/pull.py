"""Salesforce into the workspace: Leads and Contacts changed since the last pull become leads
(a Contact with its Account's firmographics, each with its owner's email), closed
Opportunities become `deal_won` / `deal_lost` events of their primary Contact (amount, name and
stage kept, on the close date), and each Lead, Contact and Account is linked to its lead and
company for the pushes back. A converted Lead is left out: it lives on as the Contact it
became.

Incremental on SystemModstamp, per object type: each pull asks for the records stamped after
the newest stamp the last full pull saw, less `LOOKBACK`. SOQL's `>` alone would leave out a
record sharing that newest stamp but not yet visible then, and a record is stamped when its
transaction starts but seen only once it commits, so a long transaction can bring a record
older than one already read. Records read again are no-ops in bronze. An Account that changed
brings its Contacts again, so their firmographics follow.

Fields the org hides from the connected app's user (field-level security) are left out of the
queries rather than failing them. Work goes in batches, each ingested and committed in a
transaction of its own: no transaction is open while Salesforce answers, and a pull that stops
half-way resumes from where its last full run ended, adding nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.connectors.crm_links import link_companies, link_people, unlink
from leadrank.connectors.crm_pull import Watermarks, ingest_counted, storable
from leadrank.connectors.records import Tally
from leadrank.connectors.salesforce.client import SalesforceClient
from leadrank.db.engine import session_scope
from leadrank.kit.progress import Progress, no_progress

VENDOR = "salesforce"
BATCH = 1_000  # people (or outcome events) ingested per transaction
# Salesforce's longest transaction is ten minutes: a record it stamps that long before the
# newest stamp seen may still be on its way.
LOOKBACK = timedelta(minutes=10)
OBJECT_TYPES = ("Lead", "Contact", "Account", "Opportunity")
LEAD_FIELDS = ["FirstName", "LastName", "Email", "Title", "Phone", "Company", "Website",
               "Industry", "NumberOfEmployees", "AnnualRevenue", "Country", "State",
               "LeadSource", "Status", "OwnerId", "CreatedDate", "IsConverted"]  # fmt: skip
CONTACT_FIELDS = ["FirstName", "LastName", "Email", "Title", "Phone", "MailingCountry",
                  "MailingState", "AccountId", "OwnerId", "CreatedDate"]  # fmt: skip
ACCOUNT_FIELDS = ["Name", "Website", "Industry", "NumberOfEmployees", "AnnualRevenue",
                  "BillingCountry"]  # fmt: skip
OPPORTUNITY_FIELDS = ["Name", "ContactId", "AccountId", "Amount", "CloseDate", "StageName",
                      "IsClosed", "IsWon"]  # fmt: skip
WANTED = {
    "Lead": LEAD_FIELDS,
    "Contact": CONTACT_FIELDS,
    "Account": ACCOUNT_FIELDS,
    "Opportunity": OPPORTUNITY_FIELDS,
}
# Every column of a lead record mapped by hand, so no header guess reads one otherwise: a
# Lead's own columns, a Contact's, and the Account's (nested, so "Account.Name").
LEAD_MAPPING = {
    "Id": "external_id",
    "FirstName": "first_name",
    "LastName": "last_name",
    "Email": "email",
    "Title": "job_title",
    "Phone": "phone",
    "Company": "company_name",
    "Account.Name": "company_name",
    "Website": "website",
    "Account.Website": "website",
    "Industry": "industry",
    "Account.Industry": "industry",
    "NumberOfEmployees": "employees",
    "Account.NumberOfEmployees": "employees",
    "AnnualRevenue": "revenue",
    "Account.AnnualRevenue": "revenue",
    "Country": "country",
    "MailingCountry": "country",
    "Account.BillingCountry": "country",
    "State": "state",
    "MailingState": "state",
    "LeadSource": "lead_source",
    "Status": "lead_status",
    "owner_email": "owner",
    "CreatedDate": "created_at",
    "salesforce_owner_id": "+",
    "salesforce_account_id": "+",
}
EVENT_MAPPING = {
    "ContactId": "external_id",
    "event_type": "event_type",
    "occurred_at": "occurred_at",
    "event_id": "event_id",
    "opportunity_id": "+",
    "opportunity_name": "+",
    "amount": "+",
    "stage": "+",
    "salesforce_account_id": "+",
}
# What a fetched record carries that is no lead's value: Salesforce's type and URL, and the
# stamp, which moves whenever anything changes (a push of scores too) and would make a record
# read again look new.
DROPPED = ("attributes", "SystemModstamp", "IsConverted", "OwnerId", "AccountId")


@dataclass
class PullReport:
    """What one pull saw and did."""

    leads: int = 0  # Lead records fetched
    contacts: int = 0
    accounts: int = 0
    opportunities: int = 0
    converted: int = 0  # converted Leads left out
    outcomes: int = 0  # closed Opportunities' events
    without_contact: int = 0  # closed Opportunities with no primary Contact: no event
    unstorable: int = 0
    people: Tally = field(default_factory=Tally)
    events: Tally = field(default_factory=Tally)
    linked_leads: int = 0
    linked_contacts: int = 0
    linked_accounts: int = 0
    hidden_fields: list[str] = field(default_factory=list)  # "Lead.Website": not visible
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    import_ids: list[int] = field(default_factory=list)
    calls: int = 0
    follow_up_job: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The report as a job's result or an API answer (with the names every CRM's pull
        answers, `people`, `companies` and `deals`, beside Salesforce's own)."""
        return {
            "leads": self.leads,
            "contacts": self.contacts,
            "accounts": self.accounts,
            "opportunities": self.opportunities,
            "converted": self.converted,
            "outcomes": self.outcomes,
            "without_contact": self.without_contact,
            "people": self.leads - self.converted + self.contacts,
            "companies": self.accounts,
            "deals": self.opportunities,
            "leads_created": self.people.leads_created,
            "leads_updated": self.people.leads_updated,
            "events_created": self.events.events_created,
            "quarantined": self.people.quarantined + self.events.quarantined,
            "linked_leads": self.linked_leads,
            "linked_contacts": self.linked_contacts,
            "linked_accounts": self.linked_accounts,
            "hidden_fields": self.hidden_fields,
            "calls": self.calls,
        }


def pull(
    engine: Engine,
    settings: Settings,
    client: SalesforceClient,
    *,
    since: datetime | None = None,
    progress: Progress = no_progress,
    requested_by: str = "salesforce pull",
) -> PullReport:
    """Pull what changed since the last pull (or since `since`); see the module."""
    report = PullReport()
    marks = Watermarks(engine, vendor=VENDOR, object_types=OBJECT_TYPES)
    floors = marks.floors(since, lookback=LOOKBACK)
    fields = _visible_fields(client, report)
    owners = {str(u["Id"]): u.get("Email") for u in client.users() if u.get("Id")}

    accounts = {a["Id"]: a for a in _walk(client, marks, "Account", fields, floors["Account"])}
    report.accounts = len(accounts)

    fetched = list(_walk(client, marks, "Lead", fields, floors["Lead"]))
    report.leads = len(fetched)
    leads = [lead for lead in fetched if lead.get("IsConverted") is not True]
    report.converted = len(fetched) - len(leads)
    if report.converted:
        # A converted Lead lives on as its Contact; Salesforce refuses updates to it.
        with session_scope(engine, writes=True) as session:
            unlink(
                session,
                vendor=VENDOR,
                object_type="Lead",
                remote_ids=[lead["Id"] for lead in fetched if lead.get("IsConverted") is True],
            )
    for start in range(0, len(leads), BATCH):
        _people_batch(engine, "Lead", leads[start : start + BATCH], {}, owners, report)
        progress("leads", min(start + BATCH, len(leads)), len(leads))

    contacts = list(_walk(client, marks, "Contact", fields, floors["Contact"]))
    if floors["Contact"] is not None and accounts and "AccountId" in fields["Contact"]:
        # Contacts of Accounts that changed come again, with the new firmographics (on a
        # first pull every Contact came already).
        known = {c["Id"] for c in contacts}
        contacts += [
            contact
            for contact in client.with_ids(
                "Contact", fields["Contact"], sorted(accounts), match="AccountId"
            )
            if contact["Id"] not in known
        ]
    report.contacts = len(contacts)
    for start in range(0, len(contacts), BATCH):
        batch = contacts[start : start + BATCH]
        missing = sorted({str(c["AccountId"]) for c in batch if c.get("AccountId")} - set(accounts))
        if missing:
            accounts.update(
                (a["Id"], a) for a in client.with_ids("Account", fields["Account"], missing)
            )
        _people_batch(engine, "Contact", batch, accounts, owners, report)
        progress("contacts", min(start + BATCH, len(contacts)), len(contacts))

    opportunities = list(_walk(client, marks, "Opportunity", fields, floors["Opportunity"]))
    report.opportunities = len(opportunities)
    records = [event for o in opportunities if (event := outcome_event(o)) is not None]
    report.without_contact = sum(
        1 for o in opportunities if _outcome(o) is not None and not o.get("ContactId")
    )
    report.outcomes = len(records)
    for start in range(0, len(records), BATCH):
        _events_batch(engine, records[start : start + BATCH], report)
        progress("opportunities", min(start + BATCH, len(records)), len(records))

    report.calls = client.calls
    report.follow_up_job = marks.finish(
        settings, report, people=report.people, requested_by=requested_by
    )
    return report


def _visible_fields(client: SalesforceClient, report: PullReport) -> dict[str, list[str]]:
    """The fields of each object type to ask for: those wanted that the org shows the app."""
    fields = {}
    for sobject, wanted in WANTED.items():
        hidden = client.missing_fields(sobject, wanted)
        report.hidden_fields += [f"{sobject}.{name}" for name in hidden]
        fields[sobject] = [name for name in wanted if name not in hidden]
    return fields


def _walk(
    client: SalesforceClient,
    marks: Watermarks,
    sobject: str,
    fields: dict[str, list[str]],
    since: datetime | None,
) -> Iterable[dict[str, Any]]:
    """The records changed since `since`, noting the newest stamp seen."""
    changed = client.modified_since(sobject, fields[sobject], since)
    return marks.walk(changed, sobject, "SystemModstamp")


def _people_batch(
    engine: Engine,
    sobject: str,
    people: list[dict[str, Any]],
    accounts: dict[str, dict[str, Any]],
    owners: dict[str, Any],
    report: PullReport,
) -> None:
    """Ingest one batch of Leads or Contacts (with their Accounts), and link them."""
    records = storable(
        (
            lead_record(person, accounts.get(str(person.get("AccountId") or "")), owners)
            for person in people
        ),
        report,
    )
    if not records:
        return
    ids = [record["Id"] for record in records]
    with session_scope(engine, writes=True) as session:
        ingest_counted(
            session,
            records,
            report=report,
            tally=report.people,
            kind="leads",
            source=VENDOR,
            name=f"salesforce pull ({sobject} {len(report.import_ids) + 1})",
            explicit=LEAD_MAPPING,
        )
        linked = link_people(session, vendor=VENDOR, object_type=sobject, remote_ids=ids)
        firms = link_companies(
            session,
            vendor=VENDOR,
            object_type="Account",
            company_of_person={
                str(p["Id"]): str(p["AccountId"])
                for p in people
                if p.get("AccountId") and p["Id"] in linked
            },
            lead_of_person=linked,
        )
    if sobject == "Lead":
        report.linked_leads += len(linked)
    else:
        report.linked_contacts += len(linked)
    report.linked_accounts += len(firms)


def _events_batch(engine: Engine, records: list[dict[str, Any]], report: PullReport) -> None:
    """Ingest one batch of outcome events."""
    with session_scope(engine, writes=True) as session:
        ingest_counted(
            session,
            records,
            report=report,
            tally=report.events,
            kind="events",
            source=VENDOR,
            name="salesforce pull (Opportunity)",
            explicit=EVENT_MAPPING,
        )


def lead_record(
    person: dict[str, Any], account: dict[str, Any] | None, owners: dict[str, Any]
) -> dict[str, Any]:
    """A Lead or a Contact as the lead record leadrank ingests: its fields, a Contact's
    Account's name, website and firmographics (nested under "Account"), and the owner's
    email beside the owner's user id."""
    record: dict[str, Any] = {
        name: value
        for name, value in person.items()
        if name not in DROPPED and value not in (None, "")
    }
    firm = {
        name: account.get(name)
        for name in ACCOUNT_FIELDS
        if account is not None and account.get(name) not in (None, "")
    }
    if firm:
        record["Account"] = firm
    owner = person.get("OwnerId")
    record["salesforce_owner_id"] = owner
    record["owner_email"] = owners.get(str(owner)) if owner else None
    record["salesforce_account_id"] = person.get("AccountId")
    return {name: value for name, value in record.items() if value not in (None, "")}


def outcome_event(opportunity: dict[str, Any]) -> dict[str, Any] | None:
    """A closed Opportunity as an outcome event of its primary Contact (None while open, or
    when it has no Contact)."""
    outcome = _outcome(opportunity)
    contact = opportunity.get("ContactId")
    if outcome is None or not contact:
        return None
    record = {
        "ContactId": contact,
        "event_type": outcome,
        "occurred_at": opportunity.get("CloseDate") or opportunity.get("SystemModstamp"),
        # One event per Opportunity, Contact and outcome: one reopened and won is news.
        "event_id": f"salesforce:opportunity:{opportunity['Id']}:{contact}:{outcome}",
        "opportunity_id": opportunity["Id"],
        "opportunity_name": opportunity.get("Name"),
        "amount": opportunity.get("Amount"),
        "stage": opportunity.get("StageName"),
        "salesforce_account_id": opportunity.get("AccountId"),
    }
    return {name: value for name, value in record.items() if value not in (None, "")}


def _outcome(opportunity: dict[str, Any]) -> str | None:
    if opportunity.get("IsClosed") is not True:
        return None
    return "deal_won" if opportunity.get("IsWon") is True else "deal_lost"
