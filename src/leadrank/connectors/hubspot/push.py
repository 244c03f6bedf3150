"""leadrank's scores onto HubSpot's contacts and companies: its own properties in a
"leadrank" group (made on first use), and the contact owner when routing or a person in
leadrank chose one. Only values that changed since HubSpot last accepted them are sent, in
batches of 100; what HubSpot accepted is recorded batch by batch, so a push that stops
half-way (a 429 storm that outlasts the retries, a crash) resends only what is left."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from leadrank.connectors.crm_links import changed_values, linked, record_pushed, sync_state
from leadrank.connectors.hubspot.client import BATCH_LIMIT, HubSpotClient
from leadrank.connectors.score_values import account_values, lead_values
from leadrank.db.engine import session_scope
from leadrank.kit.progress import Progress, no_progress
from leadrank.routing.ruleset import crm_owner_id
from leadrank.routing.service import active_rules

VENDOR = "hubspot"
GROUP = ("leadrank", "leadrank")
GRADES = ["A", "B", "C", "D", "E"]
# leadrank's value -> (HubSpot property, label, type, field type)
CONTACT_PROPERTIES = {
    "score": ("leadrank_score", "leadrank score", "number", "number"),
    "grade": ("leadrank_grade", "leadrank grade", "enumeration", "select"),
    "probability": ("leadrank_probability", "leadrank probability", "number", "number"),
    "reasons": ("leadrank_reasons", "leadrank reasons", "string", "textarea"),
    "fit": ("leadrank_fit", "leadrank fit", "number", "number"),
    "engagement": ("leadrank_engagement", "leadrank engagement", "number", "number"),
    "model_version": ("leadrank_model_version", "leadrank model version", "string", "text"),
    "scored_at": ("leadrank_scored_at", "leadrank scored at", "datetime", "date"),
    "owner": ("leadrank_owner", "leadrank owner", "string", "text"),
}
COMPANY_PROPERTIES = {
    "account_score": ("leadrank_account_score", "leadrank account score", "number", "number"),
    "account_grade": ("leadrank_account_grade", "leadrank account grade", "enumeration", "select"),
    "account_probability": (
        "leadrank_account_probability", "leadrank account probability", "number", "number",
    ),
    "account_leads": ("leadrank_account_leads", "leadrank scored leads", "number", "number"),
}  # fmt: skip
OWNER_PROPERTY = "hubspot_owner_id"
# Owners leadrank chose: pushed to HubSpot's owner field. An owner that came from HubSpot is
# HubSpot's already.
OURS = ("routing", "manual")


@dataclass
class PushReport:
    """What one push sent."""

    contacts_linked: int = 0
    contacts_sent: int = 0  # records with at least one changed value
    contacts_unchanged: int = 0
    companies_linked: int = 0
    companies_sent: int = 0
    properties_created: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # record -> HubSpot's reason
    owners_unknown: set[str] = field(default_factory=set)  # owners HubSpot has no user for
    calls: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "contacts_linked": self.contacts_linked,
            "contacts_sent": self.contacts_sent,
            "contacts_unchanged": self.contacts_unchanged,
            "people_linked": self.contacts_linked,
            "people_sent": self.contacts_sent,
            "people_unchanged": self.contacts_unchanged,
            "companies_linked": self.companies_linked,
            "companies_sent": self.companies_sent,
            "properties_created": self.properties_created,
            "refused": len(self.refused),
            "owners_unknown": sorted(self.owners_unknown),
            "calls": self.calls,
        }


def push(
    engine: Engine,
    client: HubSpotClient,
    *,
    lead_ids: list[int] | None = None,
    progress: Progress = no_progress,
) -> PushReport:
    """Send what changed since the last push; see the module."""
    report = PushReport()
    report.properties_created = ensure_properties(client)
    owners = {
        str(owner.get("email") or "").lower(): str(owner.get("id"))
        for owner in client.owners()
        if owner.get("email")
    }
    with session_scope(engine) as session:
        rules = active_rules(session)
        # An id the routing rules give an owner wins over HubSpot's user of that email.
        for email in list(rules.owners) if rules is not None else []:
            if (given := crm_owner_id(rules, email, VENDOR)) is not None:
                owners[email] = given
        people = linked(session, vendor=VENDOR, object_type="contacts", lead_ids=lead_ids)
        values = lead_values(session, [link.local_id for link in people])
        firms = (
            [] if lead_ids is not None else linked(session, vendor=VENDOR, object_type="companies")
        )
        accounts = account_values(session, [link.local_id for link in firms])
    report.contacts_linked, report.companies_linked = len(people), len(firms)

    contact_updates = []
    for link in people:
        new = contact_values(values.get(link.local_id, {}), owners, report)
        changed = changed_values(new, link.pushed)
        if changed:
            contact_updates.append((link.remote_id, changed))
        else:
            report.contacts_unchanged += 1
    company_updates = [
        (link.remote_id, changed)
        for link in firms
        if (changed := changed_values(company_values(accounts.get(link.local_id, {})), link.pushed))
    ]
    report.contacts_sent = _send(engine, client, "contacts", contact_updates, report, progress)
    report.companies_sent = _send(engine, client, "companies", company_updates, report, progress)
    report.calls = client.calls
    with session_scope(engine, writes=True) as session:
        for object_type in ("contacts", "companies"):
            state = sync_state(session, vendor=VENDOR, object_type=object_type)
            state.last_push_at = datetime.now(UTC)
            state.last_result = {**(state.last_result or {}), "push": report.as_json()}
    return report


def ensure_properties(client: HubSpotClient) -> list[str]:
    """The "leadrank" group and properties on contacts and companies, made where missing;
    the names made."""
    made = []
    for object_type, definitions in (
        ("contacts", CONTACT_PROPERTIES),
        ("companies", COMPANY_PROPERTIES),
    ):
        existing = {prop.get("name") for prop in client.properties(object_type)}
        missing = [d for d in definitions.values() if d[0] not in existing]
        if not missing:
            continue
        groups = {group.get("name") for group in client.property_groups(object_type)}
        if GROUP[0] not in groups:
            client.create_property_group(object_type, *GROUP)
        for name, label, kind, field_type in missing:
            definition: dict[str, Any] = {
                "name": name,
                "label": label,
                "type": kind,
                "fieldType": field_type,
                "groupName": GROUP[0],
                "description": f"Set by leadrank: {label.removeprefix('leadrank ')}.",
            }
            if kind == "enumeration":
                definition["options"] = [
                    {"label": grade, "value": grade, "displayOrder": i}
                    for i, grade in enumerate(GRADES)
                ]
            if client.create_property(object_type, definition):
                made.append(f"{object_type}.{name}")
    return made


def contact_values(
    values: dict[str, Any], owners: dict[str, str], report: PushReport
) -> dict[str, str]:
    """A lead's values as HubSpot contact properties (text; "" clears one)."""
    found = {prop: _text(values.get(name)) for name, (prop, *_rest) in CONTACT_PROPERTIES.items()}
    owner, source = values.get("owner"), values.get("owner_source") or ""
    if owner and source.startswith(OURS):
        owner_id = owners.get(str(owner).lower())
        if owner_id is not None:
            found[OWNER_PROPERTY] = owner_id
        else:
            report.owners_unknown.add(str(owner))
    return found


def company_values(values: dict[str, Any]) -> dict[str, str]:
    """A company's account score as HubSpot company properties."""
    return {prop: _text(values.get(name)) for name, (prop, *_rest) in COMPANY_PROPERTIES.items()}


def _send(
    engine: Engine,
    client: HubSpotClient,
    object_type: str,
    updates: list[tuple[str, dict[str, str]]],
    report: PushReport,
    progress: Progress,
) -> int:
    """Send updates a batch at a time, recording what HubSpot took after each batch."""
    sent = 0
    for start in range(0, len(updates), BATCH_LIMIT):
        chunk = updates[start : start + BATCH_LIMIT]
        outcome = client.batch_update(
            object_type, [{"id": rid, "properties": values} for rid, values in chunk]
        )
        wanted = dict(chunk)
        with session_scope(engine, writes=True) as session:
            record_pushed(
                session,
                vendor=VENDOR,
                object_type=object_type,
                accepted={rid: wanted[rid] for rid in outcome.updated if rid in wanted},
                refused=outcome.failed,
            )
        report.refused.update(outcome.failed)
        sent += len(outcome.updated)
        progress(object_type, min(start + BATCH_LIMIT, len(updates)), len(updates))
    return sent


def _text(value: Any) -> str:
    return "" if value is None else str(value)
