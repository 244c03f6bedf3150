"""Quarantine: bronze records that could not become leads or events, with their reasons."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from leadrank.orm import BronzeRecord

PREVIEW_CHARS = 160


@dataclass(frozen=True)
class QuarantinedRecord:
    """One quarantined record as shown to a user."""

    id: int
    import_id: int
    source: str
    kind: str
    file_name: str
    row_number: int
    reasons: list[str]
    payload: dict[str, Any]

    @property
    def preview(self) -> str:
        """The non-empty cells of the record, shortened."""
        text = ", ".join(f"{k}={v}" for k, v in self.payload.items() if v not in (None, ""))
        return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


@dataclass(frozen=True)
class QuarantineSummary:
    """How many records are quarantined, by reason."""

    total: int
    reasons: Counter[str]


def _conditions(source: str | None, import_id: int | None) -> list[ColumnElement[bool]]:
    conditions = [BronzeRecord.status == "quarantined"]
    if source:
        conditions.append(BronzeRecord.source == source.lower())
    if import_id is not None:
        conditions.append(BronzeRecord.import_id == import_id)
    return conditions


def summarise(
    session: Session, *, source: str | None = None, import_id: int | None = None
) -> QuarantineSummary:
    """Count quarantined records and their reasons."""
    rows = session.execute(
        select(BronzeRecord.reasons, func.count())
        .where(*_conditions(source, import_id))
        .group_by(BronzeRecord.reasons)
    )
    reasons: Counter[str] = Counter()
    total = 0
    for listed, count in rows:
        total += count
        for reason in listed or []:
            reasons[reason.split(":")[0]] += count
    return QuarantineSummary(total=total, reasons=reasons)


def list_records(
    session: Session,
    *,
    source: str | None = None,
    import_id: int | None = None,
    after: int | None = None,
    limit: int | None = 50,
) -> list[QuarantinedRecord]:
    """Quarantined records, oldest first; `after` (a record id) pages on."""
    statement = (
        select(BronzeRecord).where(*_conditions(source, import_id)).order_by(BronzeRecord.id)
    )
    if after is not None:
        statement = statement.where(BronzeRecord.id > after)
    if limit is not None:
        statement = statement.limit(limit)
    return [
        QuarantinedRecord(
            id=r.id,
            import_id=r.import_id,
            source=r.source,
            kind=r.kind,
            file_name=r.file_name,
            row_number=r.row_number,
            reasons=list(r.reasons or []),
            payload=dict(r.payload),
        )
        for r in session.scalars(statement)
    ]


def write_records(records: list[QuarantinedRecord], path: Path, *, safe_cells: bool = True) -> int:
    """Write quarantined records (their original cells plus where and why) to a file
    (`safe_cells`: see `kit.tables.write_table`)."""
    frame = pl.DataFrame(
        [
            {
                "quarantine_id": r.id,
                "source": r.source,
                "file": r.file_name,
                "row": r.row_number,
                "reasons": "; ".join(r.reasons),
                "record": json.dumps(r.payload, ensure_ascii=False),
            }
            for r in records
        ],
        schema={
            "quarantine_id": pl.Int64,
            "source": pl.String,
            "file": pl.String,
            "row": pl.Int64,
            "reasons": pl.String,
            "record": pl.String,
        },
    )
    from leadrank.kit.tables import write_table

    write_table(frame, path, safe_cells=safe_cells)
    return frame.height
