"""`leadrank dedupe`: a thin command over the matching service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadrank.kit.console import console, progress_bar
from leadrank.kit.safe_cells_option import SafeCellsOption, safe_cells_chosen
from leadrank.matching.service import DEFAULT_THRESHOLD, dedupe_file, parse_columns


def dedupe(
    source: Annotated[
        Path,
        typer.Argument(help="A list of people or companies: CSV, TSV, JSON(L), Parquet, Excel"),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Where to write: .csv .tsv .xlsx .jsonl .json .parquet"
        ),
    ],
    entity: Annotated[
        str, typer.Option("--entity", "-e", help="What a row describes: person or company")
    ] = "person",
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold", "-t", help="Match probability above which two rows are one entity"
        ),
    ] = DEFAULT_THRESHOLD,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            "-c",
            help="ROLE=COLUMN, to say which column holds what (first_name, last_name, "
            "full_name, email, phone, company, domain, address, city, postcode, state, "
            "country, date, identifier, title, category); repeatable",
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="A column to leave out of matching; repeatable"),
    ] = None,
    company_level: Annotated[
        str,
        typer.Option(
            "--company-level",
            help="What one company entity is: organisation (its departments and sites are "
            "one; one rare name is one organisation) or site (departments apart; one name at "
            "two addresses may be two)",
        ),
    ] = "organisation",
    safe_cells: SafeCellsOption = None,
) -> None:
    """Find the rows that describe the same person or company: adds cluster_id and match_score
    (no workspace)."""
    safe = safe_cells_chosen(safe_cells)
    with progress_bar(source.name) as progress:
        matches = dedupe_file(
            source,
            output,
            entity=entity,
            threshold=threshold,
            columns=parse_columns(column or []),
            ignore=ignore or [],
            company_level=company_level,
            progress=progress,
            safe_cells=safe,
        )
    rows = matches.cluster_id.size
    console.print(
        f"{rows:,} rows -> {matches.clusters:,} {entity} entities "
        f"({matches.duplicate_rows:,} duplicate rows) -> {output}"
    )
    console.print(f"matched on: {matches.roles.described()}")
    compared = [c.field for c in matches.model.comparisons]
    derived = sorted(set(compared) - set(matches.roles.columns) - {"first_name", "last_name"})
    if derived:
        console.print(
            f"company names carry their address: split into {', '.join(derived)} "
            f"(--company-level {company_level})"
        )
    if matches.roles.ignored:
        console.print(f"left out: {', '.join(matches.roles.ignored)}")
    console.print(
        f"compared {matches.candidate_pairs:,} candidate pairs"
        + (
            f"; {matches.skipped_blocks:,} oversized blocks skipped"
            if matches.skipped_blocks
            else ""
        )
    )
    console.print(f"pairs by blocking rule: {matches.rule_shares()}")
