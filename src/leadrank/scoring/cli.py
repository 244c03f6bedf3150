"""`leadrank icp show` and `leadrank icp apply`: thin commands over ICP profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leadrank.cli.console import console, progress_bar
from leadrank.scoring.icp import load_profile
from leadrank.scoring.stateless import apply_profile_to_file

icp_app = typer.Typer(
    help="Ideal customer profiles: fit rules and hard filters.", no_args_is_help=True
)
ProfileOption = Annotated[
    Path | None,
    typer.Option("--profile", "-p", help="ICP profile (YAML or JSON); default: the built-in one"),
]


@icp_app.command("show")
def show_command(profile: ProfileOption = None) -> None:
    """Print a profile's rules, groups, hard filters and the most points a lead can score."""
    loaded = load_profile(profile)
    console.print(f"[bold]{loaded.name}[/bold]  {loaded.description or ''}")
    table = Table()
    for column in ("rule", "points", "group"):
        table.add_column(column)
    for rule in loaded.rules:
        cap = f" (cap {loaded.groups[rule.group].cap:g})" if rule.group else ""
        table.add_row(rule.described(), f"{rule.points:+g}", f"{rule.group or ''}{cap}")
    console.print(table)
    for condition in loaded.filters:
        console.print(
            f"hard filter: {condition.field} {condition.op} {condition.value} "
            f"(else disqualified: {condition.described()})"
        )
    console.print(f"a lead scores 100 at {loaded.most_points():g} points")


@icp_app.command("apply")
def apply_command(
    source: Annotated[
        Path, typer.Argument(help="Lead list: CSV, TSV, JSON, JSONL, Parquet or Excel")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write: .csv .tsv .jsonl .json .parquet")
    ],
    profile: ProfileOption = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", "-m", help="JSON/TOML column mapping file")
    ] = None,
) -> None:
    """Score a lead file against a profile: adds fit_score (0-100), disqualified and fit_reasons
    (no workspace)."""
    loaded = load_profile(profile)
    with progress_bar(source.name) as progress:
        report = apply_profile_to_file(
            source, output, profile=loaded, mapping_path=mapping, progress=progress
        )
    mean = f"{report.mean_fit:.1f}" if report.mean_fit is not None else "-"
    console.print(
        f"{report.rows:,} rows scored with profile '{loaded.name}' -> {output}; "
        f"mean fit {mean}, disqualified {report.disqualified:,}"
    )
    if report.top_reasons:
        console.print(
            "most common reasons: " + "; ".join(f"{r} ({n:,})" for r, n in report.top_reasons)
        )
