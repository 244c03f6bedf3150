"""Thin jobs over ingestion: an uploaded file's import, by the ids its job was given."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.ingest import follow_up
from leadrank.ingest.service import ingest_file
from leadrank.jobs.tasks import Retry, Task, TaskContext
from leadrank.orm import Import


def _import_file(context: TaskContext) -> dict[str, Any]:
    arguments = context.arguments
    record = context.session.get(Import, arguments["import_id"])
    if record is None:
        raise BadInput(f"import {arguments['import_id']} is gone")
    path = context.settings.data_dir / Path(arguments["path"])
    if not path.exists():
        raise BadInput(f"the uploaded file of import {record.id} is no longer on disk")
    report = ingest_file(
        context.session,
        path=path,
        source=record.source,
        kind=record.kind,
        columns=arguments.get("mapping"),  # chosen when the upload's mapping was checked
        name=record.file_name,
        import_id=record.id,
        chunk_rows=context.settings.ingest_chunk_rows,
        progress=context.progress,
    )
    follow_up.after_ingest(context.session, context.settings, report, requested_by="import")
    # Once every record is in bronze, the file is not needed; until then a retry needs it.
    event.listen(context.session, "after_commit", lambda _s: _remove(path))
    return {
        "import_id": record.id,
        "records": report.rows_read,
        "new": report.rows_new,
        "quarantined": report.rows_quarantined,
        "leads_created": report.leads_created,
        "leads_merged": report.leads_merged,
        "pairs_to_review": report.pairs_to_review,
        "events_created": report.events_created,
        "events_repeated": report.events_repeated,
    }


def _remove(upload: Path) -> None:
    upload.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        upload.parent.rmdir()  # its folder, made for it alone


def _import_failed(session: Session, arguments: dict[str, Any], error: str) -> None:
    record = session.get(Import, arguments["import_id"])
    if record is not None:
        record.status, record.error, record.finished_at = "failed", error, datetime.now(UTC)


IMPORT_FILE = Task(run=_import_file, failed=_import_failed, retry=Retry(retries=2))
