"""Uploaded files: kept under the data directory, and imported by a background job queued
in the same transaction as the import that will record them."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import ColumnElement, Select, and_, case, event, exists, select
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.ingest.service import KINDS, clean_source
from leadrank.jobs.defer import defer
from leadrank.kit.pages import newest_first
from leadrank.kit.readers import file_format
from leadrank.kit.sql import get_or_404
from leadrank.orm import Import, Job

UPLOADS_DIR = "uploads"
MAX_NAME_BYTES = 200


def queue_upload(
    session: Session,
    *,
    stream: BinaryIO,
    file_name: str,
    source: str,
    kind: str,
    data_dir: Path,
    requested_by: str | None = None,
) -> Import:
    """Keep an uploaded file and queue its import; the import is `queued` until a runner
    takes its job. Unsupported file types, kinds and sources are refused before anything is
    stored."""
    name = storable_name(file_name)
    if not name:
        raise BadInput("the upload has no file name; its extension says how to read it")
    fmt = file_format(Path(name))
    if kind not in KINDS:
        raise BadInput(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    source = clean_source(source)
    # A folder of its own keeps the file's name, which messages about it then use.
    folder = data_dir / UPLOADS_DIR / uuid.uuid4().hex
    # No import, no file: a request that fails after this leaves nothing behind.
    event.listen(session, "after_rollback", lambda _s: shutil.rmtree(folder, True), once=True)
    stored = folder / name
    try:
        folder.mkdir(parents=True)
        with stored.open("wb") as out:
            shutil.copyfileobj(stream, out, length=1024 * 1024)
    except OSError:  # a full disk, a data directory that cannot be written: nothing left
        shutil.rmtree(folder, ignore_errors=True)
        raise
    record = Import(
        kind=kind,
        source=source,
        file_name=name,
        file_hash="",
        file_format=fmt,
        mapping={},
        status="queued",
        started_at=datetime.now(UTC),
    )
    session.add(record)
    session.flush()
    job = defer(
        session,
        task="import_file",
        # Relative to the data directory: where that directory lives is the workers' business.
        arguments={"import_id": record.id, "path": str(stored.relative_to(data_dir))},
        requested_by=requested_by,
    )
    record.job_id = job.id
    session.flush()
    return record


def storable_name(file_name: str | None) -> str:
    """The name an uploaded file is kept under: its last part, without control characters,
    and short enough for any file system (255 bytes) with its extension kept."""
    name = "".join(c for c in Path(file_name or "").name if c.isprintable()).strip()
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix.encode()) <= 16 else ""
    stem = name.removesuffix(suffix) if suffix else name
    room = MAX_NAME_BYTES - len(suffix.encode())
    return stem.encode()[:room].decode(errors="ignore") + suffix


def get_import(session: Session, import_id: int) -> Import:
    """One import, or 404."""
    return get_or_404(session, Import, import_id, name="import")


def import_status(session: Session, record: Import) -> str:
    """The import's status as its job tells it (see `_status`)."""
    return str(session.scalar(select(_status()).where(Import.id == record.id)))


def _status() -> ColumnElement[str]:
    """An import's status as its job tells it: the row says "queued" until the import's
    transaction commits, but its job says "running" as soon as a runner takes it."""
    running = exists().where(Job.id == Import.job_id, Job.status == "running")
    return case((and_(Import.status == "queued", running), "running"), else_=Import.status)


def list_imports(
    session: Session,
    *,
    source: str | None = None,
    status: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[tuple[Import, str]]:
    """Imports with their status (see `_status`), newest first; `before` (an import id) pages
    back through older ones."""
    statement = cast("Select[Any]", select(Import, _status()))
    if source:
        statement = statement.where(Import.source == source.strip().lower())
    if status:
        statement = statement.where(_status() == status)
    found = session.execute(newest_first(statement, Import.id, before=before, limit=limit))
    return [(record, str(now)) for record, now in found]
