"""Instantly into the workspace: `pull` pages through the API, `record_webhook` takes one
delivery; both go through the ingestion every record takes (bronze, then silver or
quarantine) as source "instantly", so a record sent again is a no-op."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.connectors.instantly.client import InstantlyClient, InstantlyError
from leadrank.connectors.instantly.schemas import WebhookReceipt
from leadrank.connectors.records import Tally, ingest_records
from leadrank.ingest import follow_up
from leadrank.ingest.events import event_type_of
from leadrank.ingest.schemas import IngestReport
from leadrank.kit.progress import Progress, no_progress
from leadrank.kit.storable import unstorable

SOURCE = "instantly"
BATCH_RECORDS = 1_000  # records per ingestion (one import each) during a pull
# Lead fields whose names would map to the wrong thing (kept in bronze only): `id` names a
# person's enrolment in one campaign, not the person (one person in two campaigns has two ids,
# and two record ids of one source would keep them apart as two leads; the email is the key);
# `organization` is Instantly's workspace id, not the lead's company; `status` is the sending
# state, not a CRM lead status.
LEAD_MAPPING = {
    "id": "-",
    "timestamp_created": "created_at",
    "organization": "-",
    "status": "-",
}
# Email.ue_type (API v2 Email schema): 1 sent from a campaign, 2 received, 3 sent, 4 scheduled.
SENT_TYPES, RECEIVED_TYPE = (1, 3), 2
# The column that names an event for ingestion (never part of the record kept in bronze).
EVENT_ID_COLUMN = "leadrank_event_id"


@dataclass
class PullReport:
    """What one pull saw and did."""

    since: datetime | None = None
    campaigns: int = 0
    leads_listed: int = 0
    emails_listed: int = 0
    emails_skipped: int = 0  # scheduled (not sent yet) or of no known kind
    unstorable: int = 0  # records PostgreSQL could not hold (NUL characters)
    leads: Tally = field(default_factory=Tally)
    events: Tally = field(default_factory=Tally)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    import_ids: list[int] = field(default_factory=list)


def pull(
    session: Session,
    client: InstantlyClient,
    *,
    since: datetime | None = None,
    progress: Progress = no_progress,
) -> PullReport:
    """Page through every campaign, its leads and its emails, and ingest them: leads first,
    so the events find them, then the emails as lead events. `since`: only leads updated and
    emails created since then. Flushes only; the caller owns the transaction."""
    report = PullReport(since=since)
    campaigns = list(client.campaigns())
    report.campaigns = len(campaigns)
    names: dict[str, str | None] = {}
    for campaign in campaigns:
        if not isinstance(campaign.get("id"), str):
            raise InstantlyError("Instantly listed a campaign without an id")
        names[campaign["id"]] = campaign.get("name")

    leads = _Batches(session, report, kind="leads", tally=report.leads, explicit=LEAD_MAPPING)
    for done, campaign_id in enumerate(names, start=1):
        for lead in client.leads(campaign=campaign_id):
            report.leads_listed += 1
            if since is None or _updated_since(lead, since):
                leads.add(lead)
        progress("leads", done, len(names))
    leads.flush()

    events = _Batches(session, report, kind="events", tally=report.events)
    for done, (campaign_id, name) in enumerate(names.items(), start=1):
        for email in client.emails(campaign_id=campaign_id, since=since):
            report.emails_listed += 1
            event = email_event(email, campaign_name=name)
            if event is None:
                report.emails_skipped += 1
            else:
                events.add(event)
        progress("emails", done, len(names))
    events.flush()
    return report


def email_event(
    email: dict[str, Any], *, campaign_name: str | None = None
) -> dict[str, Any] | None:
    """An Email of the API as the event record a webhook would carry (`email_sent`,
    `reply_received`, `auto_reply_received`, with `lead_email` and `timestamp`), or None for
    an email not sent yet. The API lists emails, not opens or clicks: those come by webhook.
    The email's own id is kept as `email_id`, as webhooks name it."""
    kind = email.get("ue_type")
    if kind in SENT_TYPES:
        event_type = "email_sent"
        lead = email.get("lead") or _first_address(email.get("to_address_email_list"))
    elif kind == RECEIVED_TYPE:
        event_type = "auto_reply_received" if email.get("is_auto_reply") == 1 else "reply_received"
        lead = email.get("lead") or email.get("from_address_email")
    else:
        return None
    record = {
        "event_type": event_type,
        "timestamp": email.get("timestamp_email") or email.get("timestamp_created"),
        "lead_email": lead,
        "instantly_lead_id": email.get("lead_id"),  # a property: per campaign, not a person
        "campaign_id": email.get("campaign_id"),
        "campaign_name": campaign_name,
        "email_account": email.get("eaccount"),
        "step": email.get("step"),
        "email_id": email.get("id"),
        "email_subject": email.get("subject"),
        "thread_id": email.get("thread_id"),
    }
    return {k: v for k, v in record.items() if v is not None}


def record_webhook(
    session: Session, settings: Settings, *, payload: dict[str, Any], name: str
) -> WebhookReceipt:
    """One webhook delivery into bronze (verbatim) and, when it names a lead, its events, with
    the rescoring they call for; a delivery that came before changes nothing."""
    report = _ingest(session, [payload], kind="events", name=name)
    follow_up.after_ingest(session, settings, report, requested_by="instantly webhook")
    if report.rows_duplicate or report.events_repeated:
        status = "already_recorded"
    elif report.rows_quarantined:
        status = "quarantined"
    else:
        status = "recorded"
    return WebhookReceipt(
        status=status,
        event_type=event_type_of(str(payload.get("event_type"))),
        import_id=report.import_id,
        events_created=report.events_created,
        leads_created=report.leads_created,
        quarantine_reasons=dict(report.quarantine_reasons),
    )


@dataclass
class _Batches:
    """Records of one kind gathered into ingestions of up to BATCH_RECORDS."""

    session: Session
    report: PullReport
    kind: str
    tally: Tally
    explicit: dict[str, str] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(self, record: dict[str, Any]) -> None:
        if unstorable(record):
            self.report.unstorable += 1
            return
        self.pending.append(record)
        if len(self.pending) >= BATCH_RECORDS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        self.count += 1
        name = f"instantly pull ({self.kind}, batch {self.count})"
        ingested = _ingest(
            self.session, self.pending, kind=self.kind, name=name, explicit=self.explicit
        )
        self.tally.add(ingested)
        self.report.quarantine_reasons.update(ingested.quarantine_reasons)
        if ingested.import_id is not None:
            self.report.import_ids.append(ingested.import_id)
        self.pending = []


def _ingest(
    session: Session,
    records: list[dict[str, Any]],
    *,
    kind: str,
    name: str,
    explicit: dict[str, str] | None = None,
) -> IngestReport:
    """Records into the workspace as `ingest_records` does; events carry the id that makes
    one sent email one event, by webhook and pull alike."""
    if kind == "events":
        records = [{**record, EVENT_ID_COLUMN: event_id(record)} for record in records]
        explicit = {**(explicit or {}), EVENT_ID_COLUMN: "event_id"}
    return ingest_records(session, records, kind=kind, source=SOURCE, name=name, explicit=explicit)


def event_id(record: dict[str, Any]) -> str | None:
    """What names the event across webhook and pull: a sent email is one event whichever way
    it came (the webhook's `email_id` is the sent email's id, as the API's Email `id` is).
    Other events have no such id: opens and clicks repeat for one email, and a reply's
    webhook names the email replied to where the API names the reply itself."""
    email_id = record.get("email_id")
    if event_type_of(str(record.get("event_type"))) == "email_sent" and isinstance(email_id, str):
        return f"email_sent:{email_id}" if email_id.strip() else None
    return None


def _updated_since(lead: dict[str, Any], since: datetime) -> bool:
    """Whether a lead changed at or after `since` (kept when it does not say)."""
    stamp = lead.get("timestamp_updated") or lead.get("timestamp_created")
    if not isinstance(stamp, str):
        return True
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    floor = since if since.tzinfo else since.replace(tzinfo=UTC)
    return moment >= floor


def _first_address(addresses: Any) -> str | None:
    """The first of a comma-separated list of addresses."""
    if not isinstance(addresses, str):
        return None
    first = addresses.split(",")[0].strip()
    return first or None
