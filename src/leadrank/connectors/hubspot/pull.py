"""HubSpot into the workspace: contacts changed since the last pull become leads (with their
company's firmographics and owner), closed deals become `deal_won` / `deal_lost` events of
their contacts (amount and close date kept), and each contact and company is linked to its
lead and company for the pushes back.

Incremental: each object type's pull starts at the newest modification it saw last time
(inclusive: a record seen again is a no-op in bronze). A company that changed brings its
contacts again, so their firmographics follow. Work goes in batches, each ingested and
committed in a transaction of its own: no transaction is open while HubSpot answers, and a
pull that stops half-way resumes from where its last full run ended, adding nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.connectors.crm_links import link_companies, link_people, own_writes, parse_moment
from leadrank.connectors.crm_pull import Watermarks, ingest_counted, storable
from leadrank.connectors.hubspot.client import HubSpotClient
from leadrank.connectors.records import Tally
from leadrank.db.engine import session_scope
from leadrank.kit.progress import Progress, no_progress

VENDOR = "hubspot"
OBJECT_TYPES = ("contacts", "companies", "deals")
BATCH = 1_000  # contacts (or deals) ingested per transaction
# Each pull starts this long before the newest change the last one saw: HubSpot's search
# finds a change only once it is indexed, a little after it was made. Records read again are
# no-ops in bronze.
LOOKBACK = timedelta(minutes=2)
CONTACT_PROPERTIES = ["email", "firstname", "lastname", "company", "jobtitle", "phone",
                      "country", "city", "state", "industry", "lifecyclestage",
                      "hubspot_owner_id", "createdate"]  # fmt: skip
COMPANY_PROPERTIES = ["name", "domain", "industry", "numberofemployees", "annualrevenue",
                      "country", "state", "city"]  # fmt: skip
DEAL_PROPERTIES = ["dealname", "amount", "closedate", "dealstage", "pipeline", "hs_is_closed",
                   "hs_is_closed_won", "createdate"]  # fmt: skip
# A lead record's columns mapped by hand: HubSpot's names the header synonyms would not read
# as meant (a contact's `company` is a typed name; the company object's name wins).
LEAD_MAPPING = {
    "hubspot_contact_id": "external_id",
    "email": "email",
    "firstname": "first_name",
    "lastname": "last_name",
    "jobtitle": "job_title",
    "phone": "phone",
    "city": "city",
    "state": "state",
    "country": "country",
    "company_name": "company_name",
    "company_domain": "website",
    "industry": "industry",
    "employees": "employees",
    "annual_revenue": "revenue",
    "owner_email": "owner",
    "createdate": "created_at",
    "hubspot_owner_id": "-",
    "company": "-",
}
EVENT_MAPPING = {
    "hubspot_contact_id": "external_id",
    "event_type": "event_type",
    "occurred_at": "occurred_at",
    "event_id": "event_id",
}


@dataclass
class PullReport:
    """What one pull saw and did."""

    contacts: int = 0  # fetched
    companies: int = 0
    deals: int = 0
    outcomes: int = 0  # closed deals' events (one per contact of the deal)
    unstorable: int = 0
    own_writes: int = 0  # records changed only by leadrank's own last push: not read again
    leads: Tally = field(default_factory=Tally)
    events: Tally = field(default_factory=Tally)
    linked_contacts: int = 0
    linked_companies: int = 0
    _companies: set[str] = field(default_factory=set, repr=False)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    import_ids: list[int] = field(default_factory=list)
    calls: int = 0
    follow_up_job: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The report as a job's result or an API answer."""
        return {
            "contacts": self.contacts,
            "people": self.contacts,
            "own_writes": self.own_writes,
            "companies": self.companies,
            "deals": self.deals,
            "outcomes": self.outcomes,
            "leads_created": self.leads.leads_created,
            "leads_updated": self.leads.leads_updated,
            "events_created": self.events.events_created,
            "quarantined": self.leads.quarantined + self.events.quarantined,
            "linked_contacts": self.linked_contacts,
            "linked_companies": self.linked_companies,
            "calls": self.calls,
        }


def pull(
    engine: Engine,
    settings: Settings,
    client: HubSpotClient,
    *,
    since: datetime | None = None,
    progress: Progress = no_progress,
    requested_by: str = "hubspot pull",
) -> PullReport:
    """Pull what changed since the last pull (or since `since`); see the module."""
    report = PullReport()
    marks = Watermarks(engine, vendor=VENDOR, object_types=OBJECT_TYPES)
    floors = marks.floors(since, lookback=LOOKBACK)
    owners = {str(o.get("id")): o.get("email") for o in client.owners()}

    companies_seen: dict[str, dict[str, Any]] = {}
    changed_companies = _news(
        engine,
        "companies",
        list(_walk(client, marks, "companies", COMPANY_PROPERTIES, floors["companies"])),
        report,
    )
    companies_seen.update({c["id"]: c for c in changed_companies})
    report.companies = len(changed_companies)
    # Contacts of companies that changed come again, with the new firmographics (not for a
    # company seen again only because it lies in the look back).
    floor = floors["companies"] + LOOKBACK if floors["companies"] and since is None else None
    moved = [
        c["id"]
        for c in changed_companies
        if floor is None or (parse_moment(c.get("updatedAt")) or floor) > floor
    ]
    of_changed = client.associations("companies", "contacts", moved)
    again = {contact for people in of_changed.values() for contact in people}

    walked = list(_walk(client, marks, "contacts", CONTACT_PROPERTIES, floors["contacts"]))
    contacts = _news(engine, "contacts", walked, report)
    known = {c["id"] for c in walked}
    contacts += client.batch_read("contacts", sorted(again - known), properties=CONTACT_PROPERTIES)
    report.contacts = len(contacts)
    for start in range(0, len(contacts), BATCH):
        batch = contacts[start : start + BATCH]
        _contacts_batch(engine, client, batch, companies_seen, owners, report)
        progress("contacts", min(start + BATCH, len(contacts)), len(contacts))

    deals = list(_walk(client, marks, "deals", DEAL_PROPERTIES, floors["deals"]))
    report.deals = len(deals)
    closed = [deal for deal in deals if _outcome(deal) is not None]
    for start in range(0, len(closed), BATCH):
        _deals_batch(engine, client, closed[start : start + BATCH], report)
        progress("deals", min(start + BATCH, len(closed)), len(closed))

    report.calls = client.calls
    report.follow_up_job = marks.finish(
        settings, report, people=report.leads, requested_by=requested_by
    )
    return report


def _walk(
    client: HubSpotClient,
    marks: Watermarks,
    kind: str,
    properties: list[str],
    since: datetime | None,
) -> Iterable[dict[str, Any]]:
    """The objects changed since `since`, noting the newest modification seen."""
    changed = client.search_modified(kind, since=since, properties=properties)
    return marks.walk(changed, kind, "updatedAt")


def _news(
    engine: Engine, object_type: str, records: list[dict[str, Any]], report: PullReport
) -> list[dict[str, Any]]:
    """The records that changed for another reason than leadrank's own last push (HubSpot
    moves a record's modification time when leadrank writes its properties)."""
    with session_scope(engine) as session:
        own = own_writes(session, vendor=VENDOR, object_type=object_type, records=records)
    report.own_writes += len(own)
    return [record for record in records if record["id"] not in own]


def _contacts_batch(
    engine: Engine,
    client: HubSpotClient,
    contacts: list[dict[str, Any]],
    companies: dict[str, dict[str, Any]],
    owners: dict[str, Any],
    report: PullReport,
) -> None:
    """Ingest one batch of contacts with their companies, and link both."""
    ids = [contact["id"] for contact in contacts]
    company_of = {
        person: firms[0]
        for person, firms in client.associations("contacts", "companies", ids).items()
        if firms
    }
    missing = sorted(set(company_of.values()) - set(companies))
    for company in client.batch_read("companies", missing, properties=COMPANY_PROPERTIES):
        companies[company["id"]] = company
    records = storable(
        (
            lead_record(contact, companies.get(company_of.get(contact["id"], "")), owners)
            for contact in contacts
        ),
        report,
    )
    if not records:
        return
    with session_scope(engine, writes=True) as session:
        ingest_counted(
            session,
            records,
            report=report,
            tally=report.leads,
            kind="leads",
            source=VENDOR,
            name=f"hubspot pull (contacts {len(report.import_ids) + 1})",
            explicit=LEAD_MAPPING,
        )
        people = link_people(session, vendor=VENDOR, object_type="contacts", remote_ids=ids)
        firms = link_companies(
            session,
            vendor=VENDOR,
            object_type="companies",
            company_of_person={p: c for p, c in company_of.items() if p in people},
            lead_of_person=people,
        )
    report.linked_contacts += len(people)
    report._companies.update(firms)
    report.linked_companies = len(report._companies)


def _deals_batch(
    engine: Engine, client: HubSpotClient, deals: list[dict[str, Any]], report: PullReport
) -> None:
    """Ingest one batch of closed deals as outcome events of their contacts."""
    contacts_of = client.associations("deals", "contacts", [deal["id"] for deal in deals])
    records = [
        event
        for deal in deals
        for contact in contacts_of.get(deal["id"], [])
        if (event := outcome_event(deal, contact)) is not None
    ]
    report.outcomes += len(records)
    if not records:
        return
    with session_scope(engine, writes=True) as session:
        ingest_counted(
            session,
            records,
            report=report,
            tally=report.events,
            kind="events",
            source=VENDOR,
            name="hubspot pull (deals)",
            explicit=EVENT_MAPPING,
        )


def lead_record(
    contact: dict[str, Any], company: dict[str, Any] | None, owners: dict[str, Any]
) -> dict[str, Any]:
    """A contact as the lead record leadrank ingests: its properties, its company's name,
    domain and firmographics, and its owner's email."""
    props = {k: v for k, v in (contact.get("properties") or {}).items() if v not in (None, "")}
    firm = (company or {}).get("properties") or {}
    record: dict[str, Any] = {"hubspot_contact_id": contact["id"], **props}
    record.pop("lastmodifieddate", None)
    record.pop("hs_object_id", None)
    if company is not None:
        record["hubspot_company_id"] = company["id"]
    record["company_name"] = firm.get("name") or props.get("company")
    record["company_domain"] = firm.get("domain")
    record["industry"] = firm.get("industry") or props.get("industry")
    record["employees"] = firm.get("numberofemployees")
    record["annual_revenue"] = firm.get("annualrevenue")
    if not record.get("country") and firm.get("country"):
        record["country"] = firm["country"]
    owner = props.get("hubspot_owner_id")
    record["owner_email"] = owners.get(str(owner)) if owner else None
    # In name order: a search and a batch read list properties in different orders, and
    # bronze knows a record again by its bytes.
    return {k: v for k, v in sorted(record.items()) if v not in (None, "")}


def outcome_event(deal: dict[str, Any], contact_id: str) -> dict[str, Any] | None:
    """A closed deal as an outcome event of one of its contacts (None while open)."""
    outcome = _outcome(deal)
    if outcome is None:
        return None
    props = deal.get("properties") or {}
    when = props.get("closedate") or deal.get("updatedAt")
    record = {
        "hubspot_contact_id": contact_id,
        "event_type": outcome,
        "occurred_at": when,
        # One event per deal, contact and outcome: a deal reopened and won again is news.
        "event_id": f"hubspot:deal:{deal['id']}:{contact_id}:{outcome}",
        "deal_id": deal["id"],
        "deal_name": props.get("dealname"),
        "amount": props.get("amount"),
        "deal_stage": props.get("dealstage"),
        "pipeline": props.get("pipeline"),
    }
    return {k: v for k, v in sorted(record.items()) if v not in (None, "")}


def _outcome(deal: dict[str, Any]) -> str | None:
    props = deal.get("properties") or {}
    if (
        str(props.get("hs_is_closed_won")).lower() == "true"
        or props.get("dealstage") == "closedwon"
    ):
        return "deal_won"
    if str(props.get("hs_is_closed")).lower() == "true" or props.get("dealstage") == "closedlost":
        return "deal_lost"
    return None
