"""`/api/v1/imports`: upload a file to import in the background, follow its import, and read
its quarantine. Thin: `uploads` and `quarantine` do the work."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from leadrank.api.errors import InvalidPayload, error_responses
from leadrank.deps import NO_NUL, READERS, DbSession, Writer
from leadrank.ingest import quarantine
from leadrank.ingest.uploads import get_import, import_status, list_imports, queue_upload
from leadrank.kit.pages import next_before
from leadrank.orm import Import

router = APIRouter(
    prefix="/api/v1/imports", tags=["imports"], responses=error_responses(401, 403, 422, 429)
)
ImportId = Annotated[int, PathParam(ge=1, le=2**62)]
MAX_PAGE = 200
Status = Literal["queued", "running", "done", "failed"]


class ImportPublic(BaseModel):
    """One import of a file (or of an API batch) and what became of its records."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str  # queued | running | done | failed
    kind: str
    source: str
    file_name: str
    file_format: str
    job_id: int | None
    repeat_of: int | None
    rows_read: int
    rows_new: int
    rows_duplicate: int
    rows_quarantined: int
    leads_created: int
    leads_updated: int
    companies_created: int
    events_created: int
    events_repeated: int = Field(
        description="Records of events their source had already given (the same event id)"
    )
    error: str | None
    started_at: datetime
    finished_at: datetime | None


class ImportDetail(ImportPublic):
    """An import with its column mapping and why its quarantined records were kept back."""

    mapping: dict[str, Any]
    quarantine_reasons: dict[str, int]


class ImportPage(BaseModel):
    """Imports, newest first; `next_before` fetches the older ones."""

    items: list[ImportPublic]
    next_before: int | None


class QuarantinedPublic(BaseModel):
    """A record kept in bronze that did not become a lead or an event, and why."""

    id: int
    row_number: int
    reasons: list[str]
    record: dict[str, Any]


class QuarantinePage(BaseModel):
    """An import's quarantined records in file order; `next_after` fetches the next ones."""

    total: int
    items: list[QuarantinedPublic]
    next_after: int | None


async def one_file(request: Request) -> None:
    """422 for a form with several `file` parts: one would be imported and the others lost."""
    files = (await request.form()).getlist("file")  # the form FastAPI parsed, not read again
    if len(files) > 1:
        raise InvalidPayload(f"send one file per upload; this form has {len(files)}", path="$.file")


@router.post(
    "",
    summary="Upload a file to import",
    status_code=202,
    responses=error_responses(400, 413),
    dependencies=[Depends(one_file)],
)
def upload(
    session: DbSession,
    request: Request,
    principal: Writer,
    file: Annotated[UploadFile, File(description="CSV, TSV, JSON, JSONL, Parquet or Excel")],
    source: Annotated[
        str, Form(min_length=1, max_length=100, pattern=NO_NUL, description="e.g. apollo")
    ],
    kind: Annotated[Literal["auto", "leads", "events"], Form()] = "auto",
) -> ImportPublic:
    """Store the file and queue its import; follow it at `/api/v1/imports/{id}` (or its job).
    It goes the way `leadrank ingest` goes: bronze, then silver or quarantine."""
    record = queue_upload(
        session,
        stream=file.file,
        file_name=file.filename or "",
        source=source,
        kind=kind,
        data_dir=request.app.state.settings.data_dir,
        requested_by=principal.prefix,
    )
    return _public(record, record.status)


@router.get("", summary="List imports", dependencies=[READERS])
def imports(
    session: DbSession,
    source: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    status: Status | None = None,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="An import id")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> ImportPage:
    """Imports of files and API batches, newest first."""
    found = list_imports(session, source=source, status=status, before=before, limit=limit)
    return ImportPage(
        items=[_public(record, now) for record, now in found],
        next_before=next_before([record.id for record, _ in found], limit),
    )


@router.get(
    "/{import_id}",
    summary="One import",
    dependencies=[READERS],
    responses=error_responses(404),
)
def one_import(session: DbSession, import_id: ImportId) -> ImportDetail:
    """An import's state and counts, its mapping and its quarantine reasons."""
    record = get_import(session, import_id)
    summary = quarantine.summarise(session, import_id=record.id)
    return ImportDetail(
        **_public(record, import_status(session, record)).model_dump(),
        mapping=dict(record.mapping or {}),
        quarantine_reasons=dict(summary.reasons),
    )


@router.get(
    "/{import_id}/quarantine",
    summary="An import's quarantined records",
    dependencies=[READERS],
    responses=error_responses(404),
)
def quarantined(
    session: DbSession,
    import_id: ImportId,
    after: Annotated[int | None, Query(ge=1, le=2**62, description="A record id")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> QuarantinePage:
    """The records that did not become leads or events, with their reasons and cells."""
    record = get_import(session, import_id)
    total = quarantine.summarise(session, import_id=record.id).total
    found = quarantine.list_records(session, import_id=record.id, after=after, limit=limit)
    return QuarantinePage(
        total=total,
        items=[
            QuarantinedPublic(id=r.id, row_number=r.row_number, reasons=r.reasons, record=r.payload)
            for r in found
        ],
        next_after=next_before([r.id for r in found], limit),  # the same rule, upwards
    )


def _public(record: Import, status: str) -> ImportPublic:
    return ImportPublic.model_validate(record).model_copy(update={"status": status})
