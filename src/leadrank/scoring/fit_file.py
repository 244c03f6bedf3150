"""`leadrank icp apply`: a lead file in, every row with its fit score and reasons out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from leadrank.errors import BadInput
from leadrank.kit.progress import Progress, no_progress
from leadrank.kit.raw_tables import EXTRA_FIELDS_COLUMN
from leadrank.kit.readers import read_table
from leadrank.kit.tables import free_column_name, write_table
from leadrank.leads.clean_file import clean_table
from leadrank.leads.column_mapping import auto_map, load_mapping_file
from leadrank.scoring.icp import Profile, score_fit

OUTPUT_COLUMNS = ("fit_score", "disqualified", "fit_reasons")


@dataclass(frozen=True)
class FitReport:
    """What `leadrank icp apply` found."""

    rows: int
    disqualified: int
    mean_fit: float | None
    top_reasons: list[tuple[str, int]]


def apply_profile_to_file(
    source: Path,
    output: Path,
    *,
    profile: Profile,
    mapping_path: Path | None = None,
    progress: Progress = no_progress,
    safe_cells: bool = True,
) -> FitReport:
    """Score every row of a lead file against the profile. Rules may name normalised fields
    (seniority, employees, email_free_mail, ...) or the file's own columns (`safe_cells`: see
    `kit.tables.write_table`)."""
    if source.resolve() == output.resolve():
        raise BadInput("the output file must differ from the input file")
    table = read_table(source)
    frame = table.frame.drop(EXTRA_FIELDS_COLUMN, strict=False)
    mapping = auto_map(
        frame.columns, "leads", load_mapping_file(mapping_path) if mapping_path else None
    )
    cleaned = clean_table(frame, mapping, progress=progress)
    own = frame.select(c for c in frame.columns if c not in cleaned.columns)
    scores = score_fit(pl.concat([cleaned, own], how="horizontal"), profile)
    taken = {c.casefold() for c in frame.columns}
    named = scores.rename({c: free_column_name(c, taken) for c in OUTPUT_COLUMNS})
    written = pl.concat([frame, named], how="horizontal")
    write_table(written, output, safe_cells=safe_cells)
    counts: dict[str, int] = {}
    for reasons in scores["fit_reasons"].to_list():
        for reason in reasons:
            counts[reason] = counts.get(reason, 0) + 1
    mean = scores["fit_score"].mean()
    return FitReport(
        rows=frame.height,
        disqualified=int(scores["disqualified"].sum()),
        mean_fit=float(mean) if isinstance(mean, int | float) else None,
        top_reasons=sorted(counts.items(), key=lambda item: -item[1])[:8],
    )
