"""`/imports`: files uploaded by drag and drop, their column mapping checked (and corrected)
before anything is loaded, the import followed live to its summary, and its quarantine with
each row's reasons, downloadable. The work is `ingest.staging`'s (a file waiting for its
mapping), `ingest.uploads`' (the queued import and its job) and `ingest.quarantine`'s."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from starlette.responses import Response

from leadrank.auth.sessions import SignedIn
from leadrank.deps import NO_NUL, DbSession
from leadrank.errors import BadInput, Conflict
from leadrank.ingest import quarantine
from leadrank.ingest.staging import (
    UploadPreview,
    discard_staged,
    preview_staged,
    queue_staged,
    stage_upload,
    waiting_uploads,
)
from leadrank.ingest.uploads import get_import, import_job, import_status, list_imports
from leadrank.kit.pages import next_before
from leadrank.kit.readers import FORMATS
from leadrank.leads.column_mapping import IGNORE, KEEP
from leadrank.web.deps import WebReader, WebWriter
from leadrank.web.downloads import file_download
from leadrank.web.errors import WebRoute
from leadrank.web.job_pages import STATUS_PILLS
from leadrank.web.responses import go_to, is_partial, render, render_view

router = APIRouter(route_class=WebRoute, include_in_schema=False)
ImportId = Annotated[int, PathParam(ge=1, le=2**62)]
Token = Annotated[str, PathParam(max_length=64)]
PAGE_SIZE = 50
QUARANTINE_SHOWN = 100
FINISHED = ("done", "failed")
ACCEPT = ",".join(sorted(FORMATS))


@router.get("/imports")
def imports(
    request: Request,
    session: DbSession,
    user: WebReader,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """Imports newest first (for htmx, just the table), and for writers the upload card and
    their uploads waiting for their columns to be checked."""
    return _list_page(request, session, user=user, before=before)


async def one_file(request: Request, user: WebWriter) -> None:
    """BadInput for a form with several files: one would be imported and the others lost
    (asked after who sends it: the same dependency, so it runs once)."""
    files = (await request.form()).getlist("file")  # the form FastAPI parsed, not read again
    if len(files) > 1:
        raise BadInput(f"upload one file at a time; this form has {len(files)}")


@router.post("/imports/preview", dependencies=[Depends(one_file)])
def stage(
    request: Request,
    session: DbSession,
    user: WebWriter,
    file: Annotated[UploadFile, File()],
    source: Annotated[str, Form(max_length=100, pattern=NO_NUL)] = "",
    kind: Annotated[Literal["auto", "leads", "events"], Form()] = "auto",
) -> Response:
    """Keep the uploaded file and read its head, then show its columns to check (nothing
    is imported yet); a file whose head cannot be read is refused and not kept."""
    try:
        staged = stage_upload(
            stream=file.file,
            file_name=file.filename or "",
            source=source,
            kind=kind,
            data_dir=request.app.state.settings.data_dir,
            staged_by=user.user_id,
            now=datetime.now(UTC),
        )
    except (BadInput, Conflict) as refused:  # Conflict: too many uploads waiting already
        return _list_page(
            request, session, user=user, error=refused.message, status=refused.status_code
        )
    return go_to(f"/imports/staged/{staged.token}", request=request)


@router.get("/imports/staged/{token}")
def staged(
    request: Request,
    session: DbSession,
    user: WebWriter,
    token: Token,
    kind: Literal["leads", "events"] | None = None,
    target: Annotated[list[str], Query(max_length=2_000)] = [],  # noqa: B006
) -> Response:
    """The detected column mapping of an uploaded file, with samples, to correct and
    confirm (for htmx, after a change, just the mapping as chosen so far); changes nothing."""
    preview = _preview(request, user, token, kind=kind, chosen=target)
    context = _mapping_context(preview, source=preview.upload.source)
    return render_view(request, "imports/staged.html", "imports/_mapping.html", context)


@router.post("/imports/staged/{token}")
def start(
    request: Request,
    session: DbSession,
    user: WebWriter,
    token: Token,
    kind: Annotated[Literal["leads", "events"], Form()],
    source: Annotated[str, Form(max_length=100, pattern=NO_NUL)] = "",
    target: Annotated[list[str], Form(max_length=2_000)] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    """Queue the import with the mapping as confirmed; then follow it on its page."""
    data_dir = request.app.state.settings.data_dir
    try:
        record = queue_staged(
            session,
            data_dir=data_dir,
            token=token,
            staged_by=user.user_id,
            source=source,
            kind=kind,
            targets=target,
            requested_by=user.principal.prefix,
        )
    except BadInput as refused:  # the mapping cannot be imported: show it again, as sent
        preview = _preview(request, user, token, kind=kind, chosen=target)
        context = _mapping_context(preview, source=source, error=refused.message)
        return render(request, "imports/staged.html", context, status=400)
    return go_to(f"/imports/{record.id}", request=request)


@router.post("/imports/staged/{token}/cancel")
def cancel(request: Request, user: WebWriter, token: Token) -> Response:
    """Forget an uploaded file without importing it."""
    discard_staged(
        data_dir=request.app.state.settings.data_dir, token=token, staged_by=user.user_id
    )
    return go_to("/imports", request=request)


@router.get("/imports/{import_id}")
def one_import(
    request: Request, session: DbSession, user: WebReader, import_id: ImportId
) -> Response:
    """An import: its progress while it runs (htmx polls its state every second), then its
    summary, the mapping it used and its quarantine."""
    record = get_import(session, import_id)
    status = import_status(session, record)
    job = import_job(session, record)
    finished = status in FINISHED
    summary = quarantine.summarise(session, import_id=record.id) if finished else None
    context = {
        "record": record,
        "status": status,
        "pill": STATUS_PILLS.get(status, "pill"),
        "finished": finished,
        "progress": (job.progress or {}) if job is not None and status == "running" else {},
        "result": (job.result or {}) if job is not None else {},
        "summary": summary,
        "quarantined": (
            quarantine.list_records(session, import_id=record.id, limit=QUARANTINE_SHOWN)
            if summary is not None and summary.total
            else []
        ),
        "shown": QUARANTINE_SHOWN,
    }
    return render_view(request, "imports/detail.html", "imports/_state.html", context)


@router.get("/imports/{import_id}/quarantine.csv")
def quarantine_csv(
    request: Request, session: DbSession, user: WebReader, import_id: ImportId
) -> Response:
    """Every quarantined record of an import with its reasons, as CSV (cells a spreadsheet
    would run as formulas made text, unless the settings say otherwise)."""
    record = get_import(session, import_id)
    records = quarantine.list_records(session, import_id=record.id, limit=None)
    safe = request.app.state.settings.safe_spreadsheet_cells
    return file_download(
        lambda path: quarantine.write_records(records, path, safe_cells=safe),
        filename=f"leadrank-import-{record.id}-quarantine.csv",
        media_type="text/csv",
    )


def _list_page(
    request: Request,
    session: DbSession,
    *,
    user: SignedIn,
    before: int | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    found = list_imports(session, before=before, limit=PAGE_SIZE)
    partial = is_partial(request) and request.method == "GET"
    writes = user.role in ("writer", "admin")
    context = {
        "rows": [(record, now, STATUS_PILLS.get(now, "pill")) for record, now in found],
        "next_before": next_before([record.id for record, _ in found], PAGE_SIZE),
        "first_page": before is None,
        "before": before,
        "working": any(now not in FINISHED for _, now in found),
        "error": error,
        "accept": ACCEPT,
        "max_upload": _size(request.app.state.settings.api_max_upload_bytes),
        "waiting": (
            waiting_uploads(data_dir=request.app.state.settings.data_dir, staged_by=user.user_id)
            if writes and not partial
            else []
        ),
        "now": datetime.now(UTC),
    }
    template = "imports/_list.html" if partial else "imports/list.html"
    return render(request, template, context, status=status)


def _preview(
    request: Request,
    user: SignedIn,
    token: str,
    *,
    kind: str | None,
    chosen: list[str] | None = None,
) -> UploadPreview:
    return preview_staged(
        data_dir=request.app.state.settings.data_dir,
        token=token,
        staged_by=user.user_id,
        kind=kind,
        chosen=chosen,
    )


def _mapping_context(
    preview: UploadPreview, *, source: str, error: str | None = None
) -> dict[str, Any]:
    return {
        "preview": preview,
        "source": source,
        "error": error,
        "ignore": IGNORE,
        "keep": KEEP,
        "mapped": sum(1 for c in preview.columns if c.target not in (IGNORE, KEEP)),
    }


def _size(size: int) -> str:
    """A number of bytes as "1 GB", "512 MB" or "900 KB"."""
    for unit, power in (("GB", 3), ("MB", 2)):
        if size >= 1024**power:
            return f"{size / 1024**power:.3g} {unit}"
    return f"{max(size // 1024, 1)} KB"
