"""Uploaded files: kept under the data directory, and imported by a background job queued
in the same transaction as the import that will record them."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast

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
    name = checked_upload(file_name, kind)
    source = clean_source(source)
    folder = upload_folder(session, data_dir)
    stored = folder / name
    try:
        folder.mkdir(parents=True)
        with stored.open("wb") as out:
            shutil.copyfileobj(stream, out, length=1024 * 1024)
    except OSError:  # a full disk, a data directory that cannot be written: nothing left
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return queue_stored(
        session,
        stored=stored,
        source=source,
        kind=kind,
        data_dir=data_dir,
        requested_by=requested_by,
    )


def checked_upload(file_name: str, kind: str) -> str:
    """The name an uploaded file is kept under; BadInput for one without a name, of a type no
    reader takes, or of a kind no import has."""
    name = storable_name(file_name)
    if not name:
        raise BadInput("the upload has no file name; its extension says how to read it")
    file_format(Path(name))
    if kind not in KINDS:
        raise BadInput(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    return name


def upload_folder(session: Session, data_dir: Path) -> Path:
    """A new folder (not yet made) for one uploaded file, removed if `session` rolls back."""
    # A folder of its own keeps the file's name, which messages about it then use.
    folder = data_dir / UPLOADS_DIR / uuid.uuid4().hex
    # No import, no file: a request that fails after this leaves nothing behind.
    when_it_ends(session, "after_rollback", lambda: shutil.rmtree(folder, True))
    return folder


def when_it_ends(
    session: Session,
    outcome: Literal["after_commit", "after_rollback"],
    action: Callable[[], None],
    *,
    first: bool = False,
) -> None:
    """Run `action` once, when `session`'s transaction commits or rolls back as `outcome`
    says; `first`: before the actions registered earlier."""
    done = False

    def listener(ended: Session) -> None:
        nonlocal done
        # SQLAlchemy tells of a savepoint's end too (`defer` takes one): not the transaction's.
        if done or ended.in_nested_transaction():
            return
        done = True
        action()

    event.listen(session, outcome, listener, insert=first)


def queue_stored(
    session: Session,
    *,
    stored: Path,
    source: str,
    kind: str,
    data_dir: Path,
    requested_by: str | None = None,
    columns: dict[str, str] | None = None,
) -> Import:
    """Queue the import of a file kept in an `upload_folder`; `columns` (header -> field,
    "-" or "+", as in a mapping file) is the mapping its job imports it with."""
    record = Import(
        kind=kind,
        source=clean_source(source),
        file_name=stored.name,
        file_hash="",
        file_format=file_format(stored),
        mapping={},
        status="queued",
        started_at=datetime.now(UTC),
    )
    session.add(record)
    session.flush()
    # Relative to the data directory: where that directory lives is the workers' business.
    arguments: dict[str, Any] = {"import_id": record.id, "path": str(stored.relative_to(data_dir))}
    if columns is not None:
        arguments["mapping"] = dict(columns)
    job = defer(session, task="import_file", arguments=arguments, requested_by=requested_by)
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


def import_job(session: Session, record: Import) -> Job | None:
    """The job that runs an uploaded file's import (None for the CLI's, or once purged)."""
    return session.get(Job, record.job_id) if record.job_id is not None else None


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
