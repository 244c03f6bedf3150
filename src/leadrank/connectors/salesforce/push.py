"""leadrank's scores onto Salesforce's Leads and Contacts: eight custom fields an admin creates
once (leadrank does not change the org's schema; a push into an org that lacks one refuses,
naming each field, its object and the type to give it, and sends nothing), and the record's
owner when routing or a person in leadrank chose one.

Only values that changed since Salesforce last accepted them are sent, as sObject Collections
of 200; what Salesforce accepted is recorded after each collection, so a push that stops
half-way (a 429 storm that outlasts the retries, a crash) resends only what is left, and a
record Salesforce refused (a validation rule, a locked record) is reported by id and sent again
next time. A lead linked to a Lead updates that Lead, one linked to a Contact that Contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from leadrank.connectors.crm_links import Linked, changed_values, linked
from leadrank.connectors.crm_push import (
    Update,
    chosen_owner,
    note_push,
    push_in_batches,
    with_rule_ids,
)
from leadrank.connectors.salesforce.client import (
    COLLECTION_LIMIT,
    CollectionOutcome,
    SalesforceClient,
)
from leadrank.connectors.score_values import lead_values
from leadrank.db.engine import session_scope
from leadrank.errors import BadInput
from leadrank.kit.progress import Progress, no_progress

VENDOR = "salesforce"
SOBJECTS = ("Lead", "Contact")


@dataclass(frozen=True)
class ScoreField:
    """One of leadrank's custom fields: its API name and the type an admin gives it."""

    name: str
    suggested_type: str


@dataclass(frozen=True)
class Described:
    """A field as the org describes it: its type (`double`, `string`, ...) and, for text, how
    many characters it holds (0: not said)."""

    kind: str
    length: int = 0


# leadrank's value -> its field on Lead and Contact: the one list of them.
SCORE_FIELDS = {
    "score": ScoreField("Leadrank_Score__c", "Number(3, 0)"),
    "grade": ScoreField("Leadrank_Grade__c", "Text(1)"),
    "probability": ScoreField("Leadrank_Probability__c", "Number(5, 4)"),
    "reasons": ScoreField("Leadrank_Reasons__c", "Long Text Area(1000)"),
    "fit": ScoreField("Leadrank_Fit__c", "Number(3, 0)"),
    "engagement": ScoreField("Leadrank_Engagement__c", "Number(3, 0)"),
    "model_version": ScoreField("Leadrank_Model_Version__c", "Text(40)"),
    "scored_at": ScoreField("Leadrank_Scored_At__c", "Date/Time"),
}
FIELD_NAMES = tuple(f.name for f in SCORE_FIELDS.values())
OWNER_FIELD = "OwnerId"  # where an owner leadrank chose goes
# Describe types whose values go as JSON numbers; a percent field shows 43.12 as 43.12 %.
NUMBER_TYPES = frozenset({"double", "int", "long", "currency", "percent"})


@dataclass
class PushReport:
    """What one push sent."""

    leads_linked: int = 0  # Lead records linked to a lead
    leads_sent: int = 0  # Lead records Salesforce took changed values of
    leads_unchanged: int = 0
    contacts_linked: int = 0
    contacts_sent: int = 0
    contacts_unchanged: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # record id -> Salesforce's reason
    owners_unknown: set[str] = field(default_factory=set)  # owners with no active user
    calls: int = 0

    def as_json(self) -> dict[str, Any]:
        """The report as a job's result or an API answer (with `people_*`, Leads and Contacts
        together, and `companies_sent`, always 0 here, as every CRM's push answers)."""
        return {
            "leads_linked": self.leads_linked,
            "leads_sent": self.leads_sent,
            "leads_unchanged": self.leads_unchanged,
            "contacts_linked": self.contacts_linked,
            "contacts_sent": self.contacts_sent,
            "contacts_unchanged": self.contacts_unchanged,
            "people_linked": self.leads_linked + self.contacts_linked,
            "people_sent": self.leads_sent + self.contacts_sent,
            "people_unchanged": self.leads_unchanged + self.contacts_unchanged,
            "companies_sent": 0,
            "refused": len(self.refused),
            "refused_records": dict(sorted(self.refused.items())[:50]),
            "owners_unknown": sorted(self.owners_unknown),
            "calls": self.calls,
        }


def push(
    engine: Engine,
    client: SalesforceClient,
    *,
    lead_ids: list[int] | None = None,
    owner_ids: dict[str, str] | None = None,
    progress: Progress = no_progress,
) -> PushReport:
    """Send what changed since the last push; see the module. `owner_ids` (owner email ->
    Salesforce user id) wins over the active users found by email."""
    report = PushReport()
    types = field_types(client)
    owners = {
        str(user.get("Email") or "").lower(): str(user["Id"])
        for user in client.users()
        if user.get("Email") and user.get("Id")
    }
    # Ids the routing rules give owners win over users found by email; `owner_ids` over both.
    owners = with_rule_ids(engine, VENDOR, owners)
    owners.update({email.lower(): user for email, user in (owner_ids or {}).items()})
    with session_scope(engine) as session:
        links = {
            sobject: linked(session, vendor=VENDOR, object_type=sobject, lead_ids=lead_ids)
            for sobject in SOBJECTS
        }
        values = lead_values(session, [link.local_id for found in links.values() for link in found])
    report.leads_linked, report.contacts_linked = len(links["Lead"]), len(links["Contact"])

    for sobject in SOBJECTS:
        updates, unchanged = _updates(links[sobject], values, owners, report)
        sent = _send(engine, client, sobject, updates, types[sobject], report, progress)
        if sobject == "Lead":
            report.leads_sent, report.leads_unchanged = sent, unchanged
        else:
            report.contacts_sent, report.contacts_unchanged = sent, unchanged
    report.calls = client.calls
    note_push(engine, vendor=VENDOR, object_types=SOBJECTS, result=report.as_json())
    return report


def field_types(client: SalesforceClient) -> dict[str, dict[str, Described]]:
    """Each object's leadrank fields as the org describes them. Refuses, naming every field an
    admin must create or open up and the type to give it, when the org lacks one or the
    connected app's user may not edit it."""
    types: dict[str, dict[str, Described]] = {}
    missing: dict[str, list[ScoreField]] = {}
    locked: dict[str, list[str]] = {}
    for sobject in SOBJECTS:
        described = {str(f.get("name", "")).lower(): f for f in client.describe(sobject)["fields"]}
        types[sobject] = {}
        for wanted in SCORE_FIELDS.values():
            found = described.get(wanted.name.lower())
            if found is None:
                missing.setdefault(sobject, []).append(wanted)
            elif found.get("updateable") is False:
                locked.setdefault(sobject, []).append(wanted.name)
            else:
                length = found.get("length")
                types[sobject][wanted.name] = Described(
                    str(found.get("type", "string")), length if isinstance(length, int) else 0
                )
    if missing or locked:
        raise BadInput(missing_fields_message(missing, locked))
    return types


def missing_fields_message(
    missing: dict[str, list[ScoreField]], locked: dict[str, list[str]] | None = None
) -> str:
    """What an admin must do before leadrank can push: each field to create, on which object,
    with which type; each field to open for editing."""
    lines = [
        "Salesforce lacks fields leadrank writes scores to, so nothing was sent."
        if missing
        else "leadrank may not edit the fields it writes scores to, so nothing was sent."
    ]
    if missing:
        lines.append(
            "An admin must create them (Setup > Object Manager > the object > Fields & "
            "Relationships > New, visible and editable for the connected app's user):"
        )
        for sobject, fields in missing.items():
            listed = ", ".join(f"{f.name} ({f.suggested_type})" for f in fields)
            lines.append(f"  {sobject}: {listed}")
    if locked:
        lines.append(
            "An admin must make these editable for the connected app's user (field-level security):"
        )
        lines += [f"  {sobject}: {', '.join(names)}" for sobject, names in locked.items()]
    lines.append("Then push again.")
    return "\n".join(lines)


def record_values(
    values: dict[str, Any], owners: dict[str, str], report: PushReport
) -> dict[str, str]:
    """A lead's values as text under the Salesforce field names ("" clears one), with
    `OwnerId` when leadrank chose the owner and Salesforce has a user of that email."""
    found = {f.name: _text(values.get(name)) for name, f in SCORE_FIELDS.items()}
    if (user := chosen_owner(values, owners, report.owners_unknown)) is not None:
        found[OWNER_FIELD] = user
    return found


def salesforce_value(text: str, kind: str, length: int = 0) -> Any:
    """A value as Salesforce takes it in a field of this describe type: a number for a number
    (a percent times 100), an ISO datetime in UTC, a date, text cut to the field's `length`
    (a longer model name would fail the whole record); None clears the field."""
    if text == "":
        return None
    if kind in NUMBER_TYPES:
        try:
            number = float(text)
        except ValueError:
            return text
        if kind == "percent":
            number = round(number * 100, 2)
        return int(number) if number.is_integer() and kind != "percent" else number
    if kind in ("datetime", "date"):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        if kind == "date":
            return moment.date().isoformat()
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    return text[:length] if length > 0 else text


def _updates(
    links: list[Linked],
    values: dict[int, dict[str, Any]],
    owners: dict[str, str],
    report: PushReport,
) -> tuple[list[Update], int]:
    """Each linked record's changed values, and how many had none."""
    updates, unchanged = [], 0
    for link in links:
        changed = changed_values(
            record_values(values.get(link.local_id, {}), owners, report), link.pushed
        )
        if changed:
            updates.append((link.remote_id, changed))
        else:
            unchanged += 1
    return updates, unchanged


def _send(
    engine: Engine,
    client: SalesforceClient,
    sobject: str,
    updates: list[Update],
    types: dict[str, Described],
    report: PushReport,
    progress: Progress,
) -> int:
    """Send updates a collection at a time, recording what Salesforce took after each."""

    def update_records(chunk: list[Update]) -> CollectionOutcome:
        records = [
            {"Id": rid, **{name: _value(name, text, types) for name, text in changed.items()}}
            for rid, changed in chunk
        ]
        return client.update_records(sobject, records)

    return push_in_batches(
        engine,
        vendor=VENDOR,
        object_type=sobject,
        updates=updates,
        size=COLLECTION_LIMIT,
        send=update_records,
        refused=report.refused,
        progress=progress,
    )


def _value(name: str, text: str, types: dict[str, Described]) -> Any:
    if name == OWNER_FIELD:
        return text
    described = types[name]
    return salesforce_value(text, described.kind, described.length)


def _text(value: Any) -> str:
    return "" if value is None else str(value)
