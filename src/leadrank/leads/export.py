"""`leadrank leads export` and `leadrank score -o`: the worklist as a file, every silver field
beside the served score, its grade, its reasons, the model version and when it was scored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from leadrank.kit.tables import write_table
from leadrank.leads.browse import SCORE_COLUMNS, LeadFilters, Sort, export_rows

# Columns holding JSON objects: written as JSON text, so every format keeps them whole.
_OBJECT_COLUMNS = ("attributes",)


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote."""

    rows: int
    path: Path
    grades: dict[str, int]


def export_leads(
    session: Session,
    *,
    filters: LeadFilters,
    sort: Sort = "score",
    path: Path,
    safe_cells: bool = True,
) -> ExportReport:
    """Write the selected leads, in the list's order, to `path` (CSV, TSV, XLSX, Parquet,
    JSONL or JSON by its extension; `safe_cells`: see `kit.tables.write_table`)."""
    names, rows = export_rows(session, filters=filters, sort=sort)
    frame = worklist_frame(names, rows)
    write_table(frame, path, safe_cells=safe_cells)
    counts = frame.get_column("grade").drop_nulls().value_counts()
    return ExportReport(
        rows=frame.height,
        path=path,
        grades={str(g): int(n) for g, n in counts.iter_rows()},
    )


def worklist_frame(names: list[str], rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """The rows as a frame: the grade served first among the score columns, reasons for and
    against as two lists, JSON objects as text."""
    records = [dict(zip(names, row, strict=True)) for row in rows]
    for record in records:
        reasons = record.pop("reasons") or {}
        record["grade"] = record["override_grade"] or record["computed_grade"]
        record["reasons_for"] = list(reasons.get("positive", []))
        record["reasons_against"] = list(reasons.get("negative", []))
        record["not_known"] = list(reasons.get("not_known", []))
        for name in _OBJECT_COLUMNS:
            record[name] = json.dumps(record[name], ensure_ascii=False, sort_keys=True)
    lead_fields = [n for n in names if n not in SCORE_COLUMNS]
    order = [*lead_fields, *_SCORED_ORDER]
    lists = ("reasons_for", "reasons_against", "not_known", "issues", "sources")
    schema = {n: pl.List(pl.String) for n in lists}
    if not records:
        return pl.DataFrame({n: [] for n in order}).cast(
            {n: t for n, t in schema.items() if n in order}
        )
    return pl.DataFrame(records, schema_overrides=schema, infer_schema_length=None).select(order)


_SCORED_ORDER = (
    "grade",
    "score",
    "probability",
    "fit",
    "engagement",
    "computed_grade",
    "override_grade",
    "reasons_for",
    "reasons_against",
    "not_known",
    "model_version",
    "scored_at",
)
