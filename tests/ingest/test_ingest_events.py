"""Ingesting event files: linked to leads by key, new emails become leads, the rest quarantined."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from leadrank.db.engine import session_scope
from leadrank.ingest.events import event_type_of
from leadrank.ingest.schemas import IngestReport
from leadrank.ingest.service import detect_kind, ingest_file
from leadrank.orm import BronzeRecord, Event, Import, Lead
from tests.conftest import Workspace

LEADS = "Email,First Name,Last Name,Company,Lead ID\nada@engines.co.uk,Ada,Lovelace,Engines,L-1\nbob@acme.com,Bob,Stone,Acme,L-2\n"
EVENTS = (
    "email,event_type,timestamp,campaign,url\n"
    "ADA@engines.co.uk,email_opened,2026-03-01T10:00:00Z,Q1,\n"
    "ada@engines.co.uk,Reply Received,2026-03-02 11:30,Q1,\n"
    "bob@acme.com,page_view,1772445600,,https://example.com/pricing\n"
    "new.person@initech.com,form_fill,03/04/2026,,\n"
    "bob@acme.com,Webinar Attended,2026-03-05,,\n"
    ",deal_won,2026-03-06,,\n"
    "bob@acme.com,,2026-03-06,,\n"
    "bob@acme.com,deal_won,not a date,,\n"
)


def run(workspace: Workspace, path: Path, source: str, kind: str = "auto"):  # type: ignore[no-untyped-def]
    with session_scope(workspace.engine) as session:
        return ingest_file(session, path=path, source=source, kind=kind)


def test_event_type_names() -> None:
    assert event_type_of("reply_received") == "email_replied"
    assert event_type_of("Link Clicked") == "email_clicked"
    assert event_type_of("lead_unsubscribed") == "email_unsubscribed"
    assert event_type_of("deal_won") == "deal_won"
    assert event_type_of("Webinar Attended") == "webinar_attended"
    assert event_type_of("  ") is None
    assert event_type_of("Attended " + "very " * 30 + "long webinar") == (
        "attended_" + "very_" * 11
    )[:64].strip("_")


def test_events_file_is_detected_by_its_headers() -> None:
    assert detect_kind(["email", "event_type", "timestamp"]) == "events"
    assert detect_kind(["lead_email", "event_type", "timestamp", "campaign_name"]) == "events"
    assert detect_kind(["Email", "First Name", "Company"]) == "leads"


def test_events_link_to_leads_and_bad_rows_are_quarantined(
    workspace: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "leads.csv").write_text(LEADS)
    (tmp_path / "events.csv").write_text(EVENTS)
    run(workspace, tmp_path / "leads.csv", "crm")
    report = run(workspace, tmp_path / "events.csv", "web")
    assert report.kind == "events"
    assert (
        report.rows_read,
        report.events_created,
        report.rows_quarantined,
        report.leads_created,
    ) == (8, 5, 3, 1)
    assert set(report.quarantine_reasons) == {
        "no_lead: no known lead and no valid email",
        "event_type_missing",
        "occurred_at_invalid",
    }
    with session_scope(workspace.engine) as session:
        ada = session.scalar(select(Lead).where(Lead.email == "ada@engines.co.uk"))
        assert ada is not None
        ada_events = session.scalars(
            select(Event).where(Event.lead_id == ada.id).order_by(Event.occurred_at)
        ).all()
        assert [e.event_type for e in ada_events] == ["email_opened", "email_replied"]
        assert ada_events[0].occurred_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
        assert ada_events[0].properties == {"campaign": "Q1"}
        bob_types = set(
            session.scalars(select(Event.event_type).join(Lead).where(Lead.email == "bob@acme.com"))
        )
        assert bob_types == {"page_view", "webinar_attended"}
        newcomer = session.scalar(select(Lead).where(Lead.email == "new.person@initech.com"))
        assert (
            newcomer is not None
            and newcomer.company_domain == "initech.com"
            and newcomer.sources == ["web"]
        )
        record = session.scalar(
            select(BronzeRecord).where(BronzeRecord.kind == "events", BronzeRecord.row_number == 6)
        )
        assert (
            record is not None
            and record.status == "quarantined"
            and record.payload["event_type"] == "deal_won"
        )


def test_events_by_record_id_and_jsonl_vendor_names(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(LEADS)
    run(workspace, tmp_path / "leads.csv", "crm")
    lines = [
        {
            "event_type": "reply_received",
            "timestamp": "2026-05-01T09:00:00.000Z",
            "lead_email": "bob@acme.com",
            "campaign_name": "C",
            "step": 2,
        },
        {
            "event_type": "email_bounced",
            "timestamp": "2026-05-02T09:00:00Z",
            "lead_email": "BOB@ACME.COM",
        },
    ]
    path = tmp_path / "instantly_events.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    report = run(workspace, path, "instantly")
    assert report.events_created == 2
    again = run(workspace, path, "instantly")
    assert (again.rows_new, again.events_created) == (0, 0)

    crm_events = tmp_path / "crm_events.csv"
    crm_events.write_text(
        "Lead ID,Activity Type,Activity Date\nL-1,Closed Won,2026-06-01\nL-9,Closed Won,2026-06-01\n"
    )
    report = run(workspace, crm_events, "crm", kind="events")
    assert (report.events_created, report.rows_quarantined) == (1, 1)
    with session_scope(workspace.engine) as session:
        won = session.scalars(
            select(Lead.email).join(Event).where(Event.event_type == "deal_won")
        ).all()
    assert won == ["ada@engines.co.uk"]


def test_events_that_came_before_their_leads_load_when_sent_again(
    workspace: Workspace, tmp_path: Path
) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_text("Lead ID,Activity Type,Activity Date\nL-2,Closed Won,2026-06-01\n")
    first = run(workspace, deals, "crm", kind="events")
    assert (first.events_created, first.rows_quarantined) == (0, 1)
    (tmp_path / "leads.csv").write_text(LEADS)
    run(workspace, tmp_path / "leads.csv", "crm")
    again = run(workspace, deals, "crm", kind="events")
    assert (again.rows_new, again.rows_retried, again.events_created) == (0, 1, 1)
    with session_scope(workspace.engine) as session:
        records = session.scalars(select(BronzeRecord).where(BronzeRecord.kind == "events")).all()
        assert len(records) == 1  # the same record, now loaded, still pointing at its first import
        assert (records[0].status, records[0].reasons, records[0].import_id) == (
            "loaded",
            None,
            first.import_id,
        )
        won = session.scalars(
            select(Lead.email).join(Event).where(Event.event_type == "deal_won")
        ).all()
        assert won == ["bob@acme.com"]
    third = run(workspace, deals, "crm", kind="events")
    assert (third.rows_retried, third.rows_duplicate, third.events_created) == (0, 1, 0)


def test_a_dry_run_counts_what_a_real_run_would_do(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(LEADS)
    (tmp_path / "events.csv").write_text(EVENTS)
    run(workspace, tmp_path / "leads.csv", "crm")
    with session_scope(workspace.engine) as session:
        dry = ingest_file(session, path=tmp_path / "events.csv", source="web", dry_run=True)
    real = run(workspace, tmp_path / "events.csv", "web")
    assert (dry.rows_quarantined, dry.leads_created) == (real.rows_quarantined, real.leads_created)
    assert dry.quarantine_reasons == real.quarantine_reasons


def test_an_event_its_source_names_is_stored_once(workspace: Workspace, tmp_path: Path) -> None:
    """An event id seen again for the same lead (in the same file, across chunks, in a later
    file, with other fields) adds no second event: the record is kept in bronze as "repeated".
    An id another lead's event holds is quarantined. Another source's ids are its own."""
    (tmp_path / "leads.csv").write_text(LEADS)
    run(workspace, tmp_path / "leads.csv", "crm")  # known leads: a dry run knows their ids
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[columns]\n"Activity ID" = "event_id"\n')
    first = tmp_path / "activities.csv"
    first.write_text(
        "Activity ID,email,event_type,timestamp\n"
        "A-1,ada@engines.co.uk,email_opened,2026-03-01T10:00:00Z\n"
        "A-2,ada@engines.co.uk,email_clicked,2026-03-01T10:05:00Z\n"
        "A-1,ada@engines.co.uk,email_opened,2026-03-01T10:00:01Z\n"
        "N/A,ada@engines.co.uk,email_opened,2026-03-01T10:07:00Z\n"
        f"{'x' * 201},ada@engines.co.uk,email_opened,2026-03-01T10:08:00Z\n"
        "A-2,bob@acme.com,email_clicked,2026-03-01T10:05:00Z\n"
    )

    def ingest(path: Path, source: str, **options: Any) -> IngestReport:
        with session_scope(workspace.engine) as session:
            return ingest_file(session, path=path, source=source, mapping_path=mapping, **options)

    with session_scope(workspace.engine) as session:
        dry = ingest_file(session, path=first, source="hubspot", mapping_path=mapping, dry_run=True)
    report = ingest(first, "hubspot", chunk_rows=2)  # A-1's second row is in another chunk
    assert (report.events_created, report.events_repeated, report.rows_quarantined) == (3, 1, 2)
    assert (dry.events_repeated, dry.rows_quarantined) == (1, 2)
    assert report.quarantine_reasons == {
        "event_id_too_long: over 200 characters": 1,
        "event_id_reused: another lead's event has this id": 1,
    }
    later = tmp_path / "later.csv"
    later.write_text(
        "Activity ID,email,event_type,timestamp,campaign\n"
        "A-2,ada@engines.co.uk,email_clicked,2026-03-01T10:05:00Z,Q1\n"
        "A-3,ada@engines.co.uk,email_replied,2026-03-02T09:00:00Z,Q1\n"
    )
    again = ingest(later, "hubspot")
    assert (again.rows_new, again.events_created, again.events_repeated) == (2, 1, 1)
    elsewhere = ingest(later, "salesforce")
    assert (elsewhere.events_created, elsewhere.events_repeated) == (2, 0)
    with session_scope(workspace.engine) as session:
        keys = session.scalars(
            select(Event.event_key).where(Event.source == "hubspot").order_by(Event.id)
        ).all()
        statuses = session.scalars(select(BronzeRecord.status).order_by(BronzeRecord.id)).all()
        imported = session.scalars(select(Import.events_repeated).order_by(Import.id)).all()
    assert keys.count(None) == 1 and sorted(k for k in keys if k) == ["A-1", "A-2", "A-3"]
    assert statuses.count("repeated") == 2 and len(statuses) == 2 + 10
    assert imported[-3:] == [1, 1, 0]
