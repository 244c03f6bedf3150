"""Stateless list cleaning: a file in, the same rows with normalised columns out; no workspace."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from leadrank.errors import BadInput
from leadrank.kit.progress import Progress, no_progress
from leadrank.kit.raw_tables import EXTRA_FIELDS_COLUMN
from leadrank.kit.readers import read_table
from leadrank.kit.tables import free_column_name, write_table
from leadrank.leads.clean import clean_frame
from leadrank.leads.column_mapping import ColumnMapping, apply_mapping, auto_map, load_mapping_file
from leadrank.leads.fields import CLEAN_FIELDS, LEAD_INPUT_FIELDS

# Added columns are "clean_<field>", except these two, which keep the names users look for.
UNPREFIXED = ("quality_score", "issues")
CHUNK_ROWS = 200_000


@dataclass
class CleanReport:
    """What `leadrank clean` did."""

    rows: int
    mapping: ColumnMapping
    output_columns: list[str]
    issues: Counter[str] = field(default_factory=Counter)
    mean_quality: float | None = None


def output_name(field_name: str, taken: set[str]) -> str:
    """The name of an added column, prefixed until it collides with no input column."""
    return free_column_name(
        field_name if field_name in UNPREFIXED else f"clean_{field_name}", taken
    )


def clean_table(
    frame: pl.DataFrame, mapping: ColumnMapping, *, progress: Progress = no_progress
) -> pl.DataFrame:
    """The normalised fields (CLEAN_FIELDS, by their own names) of every row, in chunks."""
    parts = []
    for start in range(0, frame.height, CHUNK_ROWS):
        chunk = frame.slice(start, CHUNK_ROWS)
        canonical = apply_mapping(chunk, mapping)
        parts.append(
            clean_frame(
                canonical.select(c for c in canonical.columns if c in LEAD_INPUT_FIELDS),
                height=chunk.height,
            )
        )
        progress("clean", min(start + CHUNK_ROWS, frame.height), frame.height)
    if parts:
        return pl.concat(parts)
    return clean_frame(pl.DataFrame(), height=0)


def clean_file(
    source: Path,
    output: Path,
    *,
    mapping_path: Path | None = None,
    progress: Progress = no_progress,
    safe_cells: bool = True,
) -> CleanReport:
    """Write every input column plus normalised columns, `quality_score` and `issues`
    (`safe_cells`: see `kit.tables.write_table`)."""
    if source.resolve() == output.resolve():
        raise BadInput("the output file must differ from the input file")
    table = read_table(source)
    columns = [c for c in table.frame.columns if c != EXTRA_FIELDS_COLUMN]
    explicit = load_mapping_file(mapping_path) if mapping_path else None
    mapping = auto_map(columns, "leads", explicit)
    taken = {c.casefold() for c in columns}
    names = {f: output_name(f, taken) for f in CLEAN_FIELDS}
    cleaned_all = clean_table(table.frame, mapping, progress=progress).rename(names)
    result = pl.concat([table.frame.select(columns), cleaned_all], how="horizontal")
    write_table(result, output, safe_cells=safe_cells)
    issues: Counter[str] = Counter()
    for listed in cleaned_all[names["issues"]].to_list():
        issues.update(listed or [])
    mean = cleaned_all[names["quality_score"]].mean() if table.height else None
    return CleanReport(
        rows=table.height,
        mapping=mapping,
        output_columns=result.columns,
        issues=issues,
        mean_quality=float(mean) if isinstance(mean, int | float) else None,
    )
