"""Ingestion: a file from a source into bronze, then into silver leads and companies or events."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.ingest import bronze, outlet_events
from leadrank.ingest.events import load_event_chunk, prepare_event_chunk
from leadrank.ingest.lead_rows import load_lead_chunk, prepare_lead_chunk
from leadrank.ingest.schemas import IngestReport
from leadrank.kit.json_files import table_from_records
from leadrank.kit.progress import Progress, no_progress
from leadrank.kit.raw_tables import EXTRA_FIELDS_COLUMN
from leadrank.kit.readers import RawTable, file_sha256, read_table
from leadrank.leads.column_mapping import ColumnMapping, auto_map, load_mapping_file
from leadrank.orm import Import

KINDS = ("auto", "leads", "events")
MAX_SOURCE_CHARS = 100  # the width of the source columns


def detect_kind(columns: list[str]) -> str:
    """ "events" when the headers name an event type, a time and a lead key; else "leads"."""
    mapped = auto_map(columns, "events").fields
    has_key = any(k in mapped for k in ("email", "external_id", "linkedin_url", "phone"))
    return "events" if {"event_type", "occurred_at"} <= mapped.keys() and has_key else "leads"


def clean_source(source: str) -> str:
    """A source name as stored: trimmed and lower-case; refused when empty or too long."""
    source = source.strip().lower()
    if not source:
        raise BadInput("--source must not be empty")
    if len(source) > MAX_SOURCE_CHARS:
        raise BadInput(f"--source must be at most {MAX_SOURCE_CHARS} characters")
    return source


def plan_import(
    path: Path,
    *,
    kind: str = "auto",
    mapping_path: Path | None = None,
    columns: dict[str, str] | None = None,
) -> tuple[RawTable, str, ColumnMapping]:
    """Read a file and decide its kind and column mapping, touching no database; `columns`
    (header -> field, "-" or "+", as in a mapping file) or a mapping file decide first."""
    if kind not in KINDS:
        raise BadInput(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    table = read_table(path)
    headers = file_columns(table)
    if kind == "auto":
        kind = detect_kind(headers)
    explicit = load_mapping_file(mapping_path) if mapping_path else columns
    return table, kind, checked_mapping(headers, kind, explicit, file_name=path.name)


def file_columns(table: RawTable) -> list[str]:
    """The columns of a file read as text, as a mapping names them."""
    return [c for c in table.frame.columns if c != EXTRA_FIELDS_COLUMN]


def checked_mapping(
    headers: list[str], kind: str, explicit: dict[str, str] | None, *, file_name: str
) -> ColumnMapping:
    """The mapping of a file of `headers` of `kind`; BadInput when it cannot be imported."""
    mapping = auto_map(headers, kind, explicit)
    if kind == "events" and "event_type" not in mapping.fields:
        raise BadInput(f"{file_name}: no event type column found; name it in a mapping file")
    return mapping


def ingest_file(
    session: Session,
    *,
    path: Path,
    source: str,
    kind: str = "auto",
    mapping_path: Path | None = None,
    columns: dict[str, str] | None = None,
    dry_run: bool = False,
    chunk_rows: int = 100_000,
    progress: Progress = no_progress,
    name: str | None = None,
    import_id: int | None = None,
) -> IngestReport:
    """Ingest one file: every record to bronze, usable ones to silver, the rest to quarantine.
    `name` is what the import records as the file (its path by default); `import_id` an
    import already queued for it (an upload); `columns` a mapping chosen for it (an upload
    whose mapping was checked and corrected)."""
    table, kind, mapping = plan_import(path, kind=kind, mapping_path=mapping_path, columns=columns)
    return ingest_table(
        session,
        table=table,
        kind=kind,
        mapping=mapping,
        source=source,
        name=name or str(path),
        content_hash=file_sha256(path),
        dry_run=dry_run,
        chunk_rows=chunk_rows,
        progress=progress,
        import_id=import_id,
    )


def ingest_records(
    session: Session, *, records: list[dict[str, Any]], source: str, kind: str, name: str
) -> IngestReport:
    """Ingest records sent as JSON objects (the API's batches) exactly as a file of them."""
    if kind not in ("leads", "events"):
        raise BadInput(f"unknown kind {kind!r}; use leads or events")
    table = table_from_records(records, "api")
    mapping = auto_map(table.frame.columns, kind)
    body = json.dumps(records, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return ingest_table(
        session,
        table=table,
        kind=kind,
        mapping=mapping,
        source=source,
        name=name,
        content_hash=hashlib.sha256(body.encode()).hexdigest(),
    )


def ingest_table(
    session: Session,
    *,
    table: RawTable,
    kind: str,
    mapping: ColumnMapping,
    source: str,
    name: str,
    content_hash: str,
    dry_run: bool = False,
    chunk_rows: int = 100_000,
    progress: Progress = no_progress,
    import_id: int | None = None,
) -> IngestReport:
    """Every record of a table read as text to bronze, usable ones to silver, the rest to
    quarantine; `name` and `content_hash` say where it came from, and `import_id` names the
    queued import to fill in (else a new one is recorded)."""
    source = clean_source(source)
    path = Path(name)
    report = IngestReport(
        file_name=path.name,
        source=source,
        kind=kind,
        file_format=table.file_format,
        mapping=mapping,
        encoding=table.encoding,
        delimiter=table.delimiter,
        dry_run=dry_run,
        rows_read=table.height,
    )
    file_hash = content_hash
    report.repeat_of = session.scalar(
        select(Import.id)
        .where(Import.source == source, Import.file_hash == file_hash, Import.status == "done")
        .order_by(Import.id)
        .limit(1)
    )
    now = datetime.now(UTC)
    record = session.get(Import, import_id) if import_id is not None else Import()
    if record is None:
        raise BadInput(f"no import {import_id}")
    record.kind, record.source, record.file_name = kind, source, name
    record.file_hash, record.file_format = file_hash, table.file_format
    record.mapping, record.status, record.started_at = mapping.as_json(), "running", now
    record.repeat_of = report.repeat_of
    if not dry_run:
        session.add(record)
        session.flush()
        report.import_id = record.id

    loader = _ChunkLoader(
        session,
        kind=kind,
        mapping=mapping,
        source=source,
        import_id=record.id,
        file_name=path.name,
        now=now,
        dry_run=dry_run,
        report=report,
    )
    seen: set[str] = set()
    step = chunk_size(table.height, chunk_rows)
    progress("ingest", 0, table.height)
    # Cleaning needs no database, so the next chunk is cleaned in a worker thread while this
    # one is merged and written; Polars and SQLite release the GIL for most of that work.
    # Progress counts the rows of the chunks written, so the bar moves as the work is done.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadrank-clean") as pool:
        in_flight: _InFlight | None = None
        for start in range(0, table.height, step):
            frame = table.frame.slice(start, step)
            payloads = table.payload_slice(start, step)
            chunk = _new_records(
                session, frame, payloads, start, source=source, kind=kind, seen=seen, report=report
            )
            cleaning = pool.submit(loader.prepare, chunk) if chunk.height else None
            queued = (chunk, cleaning, start + frame.height)
            if in_flight is not None:
                _load(loader, in_flight, progress, table.height)
            in_flight = queued
        if in_flight is not None:
            _load(loader, in_flight, progress, table.height)

    if not dry_run:
        record.status = "done"
        record.finished_at = datetime.now(UTC)
        for name in (
            "rows_read",
            "rows_new",
            "rows_duplicate",
            "rows_quarantined",
            "leads_created",
            "leads_updated",
            "companies_created",
            "events_created",
            "events_repeated",
        ):
            setattr(record, name, getattr(report, name))
        session.flush()
        outlet_events.tell_finished(session, record, report, started=now)
    return report


def _new_records(
    session: Session,
    frame: pl.DataFrame,
    payloads: pl.Series,
    start: int,
    *,
    source: str,
    kind: str,
    seen: set[str],
    report: IngestReport,
) -> pl.DataFrame:
    """The chunk's records to process, with row number, hash and payload: those bronze does
    not hold yet, and those it holds in quarantine (retry_of: their record id), which get
    another chance now that the workspace may hold what they lacked."""
    hashes = bronze.content_hashes(payloads)
    known = bronze.known_records(session, source=source, kind=kind, hashes=hashes)
    take, retry_of = [], []
    for h in hashes:
        record = known.get(h)
        retry = record is not None and record[1] == "quarantined" and h not in seen
        take.append((record is None and h not in seen) or retry)
        retry_of.append(record[0] if retry and record is not None else None)
        seen.add(h)
    chunk = frame.with_columns(
        pl.int_range(start + 1, start + 1 + frame.height, dtype=pl.Int64).alias("row_number"),
        pl.Series("content_hash", hashes, dtype=pl.String),
        payloads.alias("payload"),
        pl.Series("retry_of", retry_of, dtype=pl.Int64),
    ).filter(pl.Series(take, dtype=pl.Boolean))
    retried = int(chunk["retry_of"].is_not_null().sum())
    report.rows_retried += retried
    report.rows_new += chunk.height - retried
    report.rows_duplicate += frame.height - chunk.height
    return chunk


@dataclass
class _ChunkLoader:
    """Prepares (pure) and loads (database) the chunks of one file of one kind."""

    session: Session
    kind: str
    mapping: ColumnMapping
    source: str
    import_id: int | None
    file_name: str
    now: datetime
    dry_run: bool
    report: IngestReport

    def prepare(self, chunk: pl.DataFrame) -> pl.DataFrame:
        """Clean a chunk's records; safe to run in another thread."""
        if self.kind == "events":
            return prepare_event_chunk(chunk, mapping=self.mapping, source=self.source)
        return prepare_lead_chunk(chunk, mapping=self.mapping)

    def load(self, chunk: pl.DataFrame, rows: pl.DataFrame) -> None:
        """Write a prepared chunk in the session's transaction."""
        load = load_event_chunk if self.kind == "events" else load_lead_chunk
        load(
            self.session,
            chunk,
            rows,
            source=self.source,
            import_id=self.import_id,
            file_name=self.file_name,
            now=self.now,
            dry_run=self.dry_run,
            report=self.report,
        )


# Files up to this many rows go in one chunk: below it, more chunks cost more than the
# progress they show.
ONE_CHUNK_ROWS = 25_000


def chunk_size(rows: int, chunk_rows: int) -> int:
    """Rows per chunk: at most `chunk_rows` (it bounds memory), and a file of more than
    ONE_CHUNK_ROWS rows goes in a few even chunks, so its progress moves."""
    if rows <= ONE_CHUNK_ROWS:
        return max(min(rows, chunk_rows), 1)
    chunks = max(-(-rows // chunk_rows), min(-(-rows // ONE_CHUNK_ROWS), 5))
    return -(-rows // chunks)


# A chunk of new records, its cleaning under way (None: nothing new), and the row it ends at.
_InFlight = tuple[pl.DataFrame, "Future[pl.DataFrame] | None", int]


def _load(loader: _ChunkLoader, in_flight: _InFlight, progress: Progress, total: int) -> None:
    """Merge and write a cleaned chunk, then say how far the file has got."""
    chunk, cleaning, end = in_flight
    if cleaning is not None:
        loader.load(chunk, cleaning.result())
    progress("ingest", end, total)
