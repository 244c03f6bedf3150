"""`POST /api/v1/leads/batch` and `POST /api/v1/events/batch`: records sent over HTTP go the
way a file's do, bronze first, then silver or quarantine. Thin: `ingest_records` does it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadrank.api.errors import error_responses
from leadrank.deps import NO_NUL, WRITERS, DbSession
from leadrank.errors import WriteRace
from leadrank.ingest import follow_up
from leadrank.ingest.schemas import IngestReport
from leadrank.ingest.service import ingest_records
from leadrank.kit.json_files import names_a_field
from leadrank.kit.storable import unstorable

router = APIRouter(
    prefix="/api/v1",
    tags=["ingest"],
    dependencies=[WRITERS],
    responses=error_responses(400, 401, 403, 413, 422, 429, 503),
)
MAX_RECORDS = 1_000
Source = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]


def _storable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records that can be stored (their depth bounded first) and that name a field."""
    for index, record in enumerate(records):
        problem = unstorable(record)
        if problem:
            raise ValueError(f"record {index} {problem}")
        if not names_a_field(record):
            raise ValueError(f"record {index} names no field (an empty object, or only empty ones)")
    return records


Records = Annotated[
    list[dict[str, Any]],
    Field(min_length=1, max_length=MAX_RECORDS),
    AfterValidator(_storable),
]


class LeadBatch(BaseModel):
    """Up to 1,000 lead records in any vendor's field names, and where they come from."""

    source: Source
    leads: Records


class EventBatch(BaseModel):
    """Up to 1,000 events (event type, time, and a lead's email or other key)."""

    source: Source
    events: Records


class BatchResult(BaseModel):
    """What became of a batch: every record is in bronze, each new, already there, or sent
    again after it was quarantined (`retried`), and the usable ones in silver; the rest are
    listed by `leadrank quarantine`."""

    import_id: int | None
    records: int
    new: int
    already_there: int
    retried: int = Field(
        description="Records quarantined before, sent again and processed again (no copy kept)"
    )
    quarantined: int
    quarantine_reasons: dict[str, int]
    leads_created: int
    leads_updated: int
    leads_merged: int
    companies_created: int
    events_created: int
    events_repeated: int = Field(
        description="Records of events their source had already given (the same event id): "
        "kept as received, not counted twice"
    )


@router.post("/leads/batch", summary="Add or update leads")
def add_leads(batch: LeadBatch, session: DbSession, request: Request) -> BatchResult:
    """Leads as records of a source; the same record sent twice is stored once."""
    report = _ingest(session, batch.leads, batch.source, "leads", request)
    follow_up.after_ingest(session, request.app.state.settings, report, requested_by="api")
    return _result(report)


@router.post("/events/batch", summary="Add events")
def add_events(batch: EventBatch, session: DbSession, request: Request) -> BatchResult:
    """Events of leads, found by their keys; a new email brings its lead along, and an event
    with no key waits in quarantine."""
    report = _ingest(session, batch.events, batch.source, "events", request)
    follow_up.after_ingest(session, request.app.state.settings, report, requested_by="api")
    return _result(report)


def _ingest(
    session: Session, records: list[dict[str, Any]], source: str, kind: str, request: Request
) -> IngestReport:
    try:
        return ingest_records(
            session,
            records=records,
            source=source,
            kind=kind,
            name=f"api request {request.state.request_id}",
        )
    except IntegrityError as exc:  # two requests wrote the same record at once: 503, not 500
        raise WriteRace() from exc


def _result(report: IngestReport) -> BatchResult:
    return BatchResult(
        import_id=report.import_id,
        records=report.rows_read,
        new=report.rows_new,
        already_there=report.rows_duplicate,
        retried=report.rows_retried,
        quarantined=report.rows_quarantined,
        quarantine_reasons=dict(report.quarantine_reasons),
        leads_created=report.leads_created,
        leads_updated=report.leads_updated,
        leads_merged=report.leads_merged,
        companies_created=report.companies_created,
        events_created=report.events_created,
        events_repeated=report.events_repeated,
    )
