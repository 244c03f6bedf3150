"""leadrank's scores onto HubSpot's contacts and companies: its own properties in a
"leadrank" group (made on first use), and the contact owner when routing or a person in
leadrank chose one. Only values that changed since HubSpot last accepted them are sent, in
batches of 100; what HubSpot accepted is recorded batch by batch, so a push that stops
half-way (a 429 storm that outlasts the retries, a crash) resends only what is left."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from leadrank.connectors.crm_links import changed_values, linked
from leadrank.connectors.crm_push import (
    Update,
    chosen_owner,
    note_push,
    push_in_batches,
    with_rule_ids,
)
from leadrank.connectors.hubspot.client import (
    BATCH_LIMIT,
    BatchOutcome,
    HubSpotAuthError,
    HubSpotClient,
    HubSpotError,
)
from leadrank.connectors.score_values import account_values, lead_values
from leadrank.db.engine import session_scope
from leadrank.kit.progress import Progress, no_progress

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
OWNER_PROPERTY = "hubspot_owner_id"  # where an owner leadrank chose goes


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
    owners = with_rule_ids(engine, VENDOR, owners)  # a rule's owner id wins
    with session_scope(engine) as session:
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
    note_push(
        engine, vendor=VENDOR, object_types=("contacts", "companies"), result=report.as_json()
    )
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
    if (owner_id := chosen_owner(values, owners, report.owners_unknown)) is not None:
        found[OWNER_PROPERTY] = owner_id
    return found


def company_values(values: dict[str, Any]) -> dict[str, str]:
    """A company's account score as HubSpot company properties."""
    return {prop: _text(values.get(name)) for name, (prop, *_rest) in COMPANY_PROPERTIES.items()}


def _send(
    engine: Engine,
    client: HubSpotClient,
    object_type: str,
    updates: list[Update],
    report: PushReport,
    progress: Progress,
) -> int:
    """Send updates `BATCH_LIMIT` to a batch update, recording what HubSpot took after each."""

    def batch_update(chunk: list[Update]) -> BatchOutcome:
        inputs = [{"id": rid, "properties": values} for rid, values in chunk]
        try:
            return client.batch_update(object_type, inputs)
        except HubSpotError as exc:
            # HubSpot refuses a whole batch for one bad value (an owner id it does not know):
            # halves are sent until that record stands alone, and only it is refused.
            if exc.hubspot_status != 400 or isinstance(exc, HubSpotAuthError):
                raise
            if len(chunk) == 1:
                return BatchOutcome(failed={chunk[0][0]: str(exc)})
            half = len(chunk) // 2
            first, second = batch_update(chunk[:half]), batch_update(chunk[half:])
            return BatchOutcome(
                updated=first.updated + second.updated,
                failed={**first.failed, **second.failed},
                modified={**first.modified, **second.modified},
            )

    return push_in_batches(
        engine,
        vendor=VENDOR,
        object_type=object_type,
        updates=updates,
        size=BATCH_LIMIT,
        send=batch_update,
        refused=report.refused,
        progress=progress,
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)
