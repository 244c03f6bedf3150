"""What an import tells the outbox when it is done: `lead.created` for each lead it brought
that was not there before, and `import.finished` with its counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.ingest.schemas import IngestReport
from leadrank.leads.outlet_events import lead_cards
from leadrank.orm import BronzeRecord, Import, Lead
from leadrank.outbox.emit import emit, wanted
from leadrank.outbox.events import IMPORT_FINISHED, LEAD_CREATED, OutletEvent, lead_key


def tell_finished(
    session: Session, record: Import, report: IngestReport, *, started: datetime
) -> None:
    """An import is done: its new leads, then its counts."""
    events: list[OutletEvent] = []
    if report.leads_created and wanted(session, LEAD_CREATED):
        loaded = select(BronzeRecord.lead_id).where(
            BronzeRecord.import_id == record.id, BronzeRecord.lead_id.is_not(None)
        )
        new = session.scalars(
            select(Lead.id).where(Lead.id.in_(loaded), Lead.created_at >= started).order_by(Lead.id)
        ).all()
        cards = lead_cards(session, new)
        events += [
            OutletEvent(
                LEAD_CREATED,
                {
                    **cards.get(lead_id, {"lead_id": lead_id}),
                    "source": record.source,
                    "import_id": record.id,
                },
                lead_key(lead_id),
            )
            for lead_id in new
        ]
    if wanted(session, IMPORT_FINISHED):
        events.append(
            OutletEvent(
                IMPORT_FINISHED,
                {
                    "import_id": record.id,
                    "kind": record.kind,
                    "source": record.source,
                    "file_name": report.file_name,
                    "rows_read": report.rows_read,
                    "rows_new": report.rows_new,
                    "rows_duplicate": report.rows_duplicate,
                    "rows_quarantined": report.rows_quarantined,
                    "leads_created": report.leads_created,
                    "leads_updated": report.leads_updated,
                    "leads_merged": report.leads_merged,
                    "events_created": report.events_created,
                },
                f"import:{record.id}",
            )
        )
    if events:
        emit(session, events)
