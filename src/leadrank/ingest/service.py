"""Ingestion: a file from a source into bronze, then into silver leads and companies or events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.ingest import bronze
from leadrank.ingest.mapping import (
    ColumnMapping,
    apply_mapping,
    attributes_json,
    auto_map,
    load_mapping_file,
)
from leadrank.ingest.readers import EXTRA_FIELDS_COLUMN, RawTable, file_sha256, read_table
from leadrank.ingest.schemas import IngestReport, Progress, no_progress
from leadrank.leads.clean import clean_frame
from leadrank.leads.fields import LEAD_INPUT_FIELDS
from leadrank.leads.identity import company_match_keys
from leadrank.leads.merge import merge_rows
from leadrank.orm import Import

KINDS = ("auto", "leads", "events")


def detect_kind(columns: list[str]) -> str:
    """ "events" when the headers name an event type, a time and a lead key; else "leads"."""
    mapped = auto_map(columns, "events").fields
    has_key = any(k in mapped for k in ("email", "external_id", "linkedin_url", "phone"))
    return "events" if {"event_type", "occurred_at"} <= mapped.keys() and has_key else "leads"


def plan_import(
    path: Path, *, kind: str = "auto", mapping_path: Path | None = None
) -> tuple[RawTable, str, ColumnMapping]:
    """Read a file and decide its kind and column mapping, touching no database."""
    if kind not in KINDS:
        raise BadInput(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    table = read_table(path)
    columns = [c for c in table.frame.columns if c != EXTRA_FIELDS_COLUMN]
    if kind == "auto":
        kind = detect_kind(columns)
    explicit = load_mapping_file(mapping_path) if mapping_path else None
    mapping = auto_map(columns, kind, explicit)
    if kind == "events" and "event_type" not in mapping.fields:
        raise BadInput(f"{path.name}: no event type column found; name it in a mapping file")
    return table, kind, mapping


def ingest_file(
    session: Session,
    *,
    path: Path,
    source: str,
    kind: str = "auto",
    mapping_path: Path | None = None,
    dry_run: bool = False,
    chunk_rows: int = 100_000,
    progress: Progress = no_progress,
) -> IngestReport:
    """Ingest one file: every record to bronze, usable ones to silver, the rest to quarantine."""
    source = source.strip().lower()
    if not source:
        raise BadInput("--source must not be empty")
    table, kind, mapping = plan_import(path, kind=kind, mapping_path=mapping_path)
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
    file_hash = file_sha256(path)
    report.repeat_of = session.scalar(
        select(Import.id)
        .where(Import.source == source, Import.file_hash == file_hash, Import.status == "done")
        .order_by(Import.id)
        .limit(1)
    )
    now = datetime.now(UTC)
    record = Import(
        kind=kind,
        source=source,
        file_name=str(path),
        file_hash=file_hash,
        file_format=table.file_format,
        mapping=mapping.as_json(),
        status="running",
        started_at=now,
        repeat_of=report.repeat_of,
    )
    if not dry_run:
        session.add(record)
        session.flush()
        report.import_id = record.id

    from leadrank.ingest.events import ingest_event_chunk  # events build on the lead path

    seen: set[str] = set()
    for start in range(0, table.height, chunk_rows):
        frame = table.frame.slice(start, chunk_rows)
        payloads = table.payloads.slice(start, chunk_rows)
        chunk = _new_records(
            session, frame, payloads, start, source=source, kind=kind, seen=seen, report=report
        )
        if chunk.height:
            if kind == "events":
                ingest_event_chunk(
                    session,
                    chunk,
                    mapping=mapping,
                    source=source,
                    import_id=record.id,
                    file_name=path.name,
                    now=now,
                    dry_run=dry_run,
                    report=report,
                )
            else:
                _ingest_lead_chunk(
                    session,
                    chunk,
                    mapping=mapping,
                    source=source,
                    import_id=record.id,
                    file_name=path.name,
                    now=now,
                    dry_run=dry_run,
                    report=report,
                )
        progress("ingest", min(start + chunk_rows, table.height), table.height)

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
        ):
            setattr(record, name, getattr(report, name))
        session.flush()
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
    """The chunk's records that bronze does not hold yet, with row number, hash and payload."""
    hashes = bronze.content_hashes(payloads)
    known = bronze.known_hashes(session, source=source, kind=kind, hashes=hashes)
    fresh = []
    for h in hashes:
        is_new = h not in known and h not in seen
        fresh.append(is_new)
        seen.add(h)
    chunk = frame.with_columns(
        pl.int_range(start + 1, start + 1 + frame.height, dtype=pl.Int64).alias("row_number"),
        pl.Series("content_hash", hashes, dtype=pl.String),
        payloads.alias("payload"),
    ).filter(pl.Series(fresh, dtype=pl.Boolean))
    report.rows_new += chunk.height
    report.rows_duplicate += frame.height - chunk.height
    return chunk


def usable_identity() -> pl.Expr:
    """A row can become a lead when something identifies the person."""
    present = pl.col("linkedin_url", "phone_e164", "external_id").is_not_null()
    named_at_company = pl.col("full_name").is_not_null() & (
        pl.col("company_name").is_not_null() | pl.col("company_domain").is_not_null()
    )
    return pl.col("email_valid").fill_null(False) | pl.any_horizontal(present) | named_at_company


def _ingest_lead_chunk(
    session: Session,
    chunk: pl.DataFrame,
    *,
    mapping: ColumnMapping,
    source: str,
    import_id: int | None,
    file_name: str,
    now: datetime,
    dry_run: bool,
    report: IngestReport,
) -> None:
    canonical = apply_mapping(chunk, mapping)
    cleaned = clean_frame(
        canonical.select([c for c in canonical.columns if c in LEAD_INPUT_FIELDS]),
        height=chunk.height,
    )
    external = (
        canonical["external_id"]
        if "external_id" in canonical.columns
        else pl.Series("external_id", [None] * chunk.height, dtype=pl.String)
    )
    extra = (
        chunk[EXTRA_FIELDS_COLUMN]
        if EXTRA_FIELDS_COLUMN in chunk.columns
        else pl.Series([None] * chunk.height, dtype=pl.String)
    )
    rows = cleaned.with_columns(
        external.alias("external_id"),
        chunk["row_number"],
        attributes_json(chunk, mapping),
        extra.alias("_extra"),
    )
    rows = rows.with_columns(company_match_keys(rows), usable_identity().alias("_identity"))
    rows = rows.with_columns(
        (pl.col("_identity") & pl.col("_extra").is_null()).alias("_usable"),
        _quarantine_reasons().alias("_reasons"),
    )
    for issues in rows["issues"].to_list():
        report.issues.update(issues)
    usable = rows.filter(pl.col("_usable"))
    quarantined = rows.filter(~pl.col("_usable"))
    report.rows_quarantined += quarantined.height
    for reasons in quarantined["_reasons"].to_list():
        report.quarantine_reasons.update(json.loads(reasons))
    if dry_run or import_id is None:
        return

    result = merge_rows(session, rows=usable, source=source, import_id=import_id, now=now)
    report.leads_created += result.leads_created
    report.leads_updated += result.leads_updated
    report.companies_created += result.companies_created
    lead_ids = pl.Series("lead_id", [None] * rows.height, dtype=pl.Int64)
    lead_ids = (
        lead_ids.scatter(
            rows.with_row_index().filter(pl.col("_usable"))["index"],
            pl.Series(result.lead_ids, dtype=pl.Int64),
        )
        if usable.height
        else lead_ids
    )
    records = chunk.select("row_number", "content_hash", "payload").with_columns(
        pl.when(rows["_usable"])
        .then(pl.lit("loaded"))
        .otherwise(pl.lit("quarantined"))
        .alias("status"),
        pl.when(rows["_usable"]).then(None).otherwise(rows["_reasons"]).alias("reasons"),
        lead_ids,
    )
    bronze.write_bronze(
        session,
        bronze.bronze_rows(
            import_id=import_id,
            kind="leads",
            source=source,
            file_name=file_name,
            received_at=now,
            frame=records,
        ),
        want_ids=False,
    )


def _quarantine_reasons() -> pl.Expr:
    """JSON list of why a row cannot become a lead (the reasons are our own quote-free words)."""
    listed = pl.concat_list(
        pl.when(pl.col("_extra").is_not_null()).then(
            pl.lit("extra_fields: the row has more fields than the header")
        ),
        pl.when(~pl.col("_identity")).then(
            pl.lit(
                "no_identity: no valid email, LinkedIn URL, phone, record id, or name with company"
            )
        ),
        pl.when(pl.col("issues").list.contains("email_invalid")).then(pl.lit("email_invalid")),
        pl.when(pl.col("issues").list.contains("phone_invalid")).then(pl.lit("phone_invalid")),
    ).list.drop_nulls()
    return pl.format("[{}]", listed.list.eval(pl.format('"{}"', pl.element())).list.join(","))
