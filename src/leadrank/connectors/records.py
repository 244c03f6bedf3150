"""Records a connector fetched, into the workspace the way every record goes: bronze
(verbatim), then silver or quarantine, as one import named after the pull, so a record
fetched again is a no-op."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

import polars as pl
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadrank.errors import WriteRace
from leadrank.ingest.schemas import IngestReport
from leadrank.ingest.service import ingest_table
from leadrank.kit.json_files import table_from_records
from leadrank.leads.column_mapping import auto_map


def ingest_records(
    session: Session,
    records: list[dict[str, Any]],
    *,
    kind: str,
    source: str,
    name: str,
    explicit: dict[str, str] | None = None,
    extra: dict[str, list[str | None]] | None = None,
) -> IngestReport:
    """Records (JSON objects) into the workspace as `kind` ("leads" or "events") from
    `source`; `explicit` maps some columns by hand ("-" ignores one), the rest are mapped as
    files are; `extra` columns (one value per record) are read but never kept in bronze.
    Flushes only."""
    table = table_from_records(records, "api")
    if extra:
        added = [pl.Series(name, values, dtype=pl.String) for name, values in extra.items()]
        table = replace(table, frame=table.frame.with_columns(added))
    columns = table.frame.columns
    chosen = {column: to for column, to in (explicit or {}).items() if column in columns}
    body = json.dumps(records, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        return ingest_table(
            session,
            table=table,
            kind=kind,
            mapping=auto_map(columns, kind, chosen),
            source=source,
            name=name,
            content_hash=hashlib.sha256(body.encode()).hexdigest(),
        )
    except IntegrityError as exc:  # another pull or delivery recorded the same records
        raise WriteRace(
            f"another run recorded the same {source} records at the same moment; run it again"
        ) from exc


@dataclass
class Tally:
    """What the ingestions of one kind of record did."""

    read: int = 0
    new: int = 0
    already_there: int = 0
    quarantined: int = 0
    leads_created: int = 0
    leads_updated: int = 0
    companies_created: int = 0
    events_created: int = 0
    events_repeated: int = 0

    def add(self, report: IngestReport) -> None:
        """Count one ingestion in."""
        self.read += report.rows_read
        self.new += report.rows_new + report.rows_retried
        self.already_there += report.rows_duplicate
        self.quarantined += report.rows_quarantined
        self.leads_created += report.leads_created
        self.leads_updated += report.leads_updated
        self.companies_created += report.companies_created
        self.events_created += report.events_created
        self.events_repeated += report.events_repeated
