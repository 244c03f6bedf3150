"""`leadrank score`, `leadrank icp show/apply/save/list/activate` and `leadrank accounts list`:
thin commands over scoring, ICP profiles and account scores."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leadrank.config import get_settings
from leadrank.db.workspace_db import workspace_session
from leadrank.errors import BadInput
from leadrank.grades import Blend, GradeScale
from leadrank.kit.console import (
    NUMBER,
    Column,
    console,
    err_console,
    fitted_table,
    progress_bar,
    system_user,
)
from leadrank.kit.safe_cells_option import SafeCellsOption, safe_cells_chosen
from leadrank.leads.browse import LeadFilters
from leadrank.leads.export import export_leads
from leadrank.scoring import icp_store
from leadrank.scoring.engagement import EngagementConfig
from leadrank.scoring.fit_file import apply_profile_to_file
from leadrank.scoring.icp import load_profile
from leadrank.scoring.repository import served_run, top_accounts

icp_app = typer.Typer(
    help="Ideal customer profiles: fit rules and hard filters.", no_args_is_help=True
)
ProfileOption = Annotated[
    Path | None,
    typer.Option("--profile", "-p", help="ICP profile (YAML or JSON); default: the built-in one"),
]


StoredName = Annotated[str | None, typer.Option("--name", help="A stored profile")]
StoredVersion = Annotated[
    int | None, typer.Option("--version", "-v", min=1, help="Its version (default: newest)")
]


@icp_app.command("show")
def show_command(
    profile: Annotated[
        Path | None,
        typer.Option(
            "--profile", "-p", help="ICP profile file; default: the one workspace scoring uses"
        ),
    ] = None,
    name: StoredName = None,
    version: StoredVersion = None,
) -> None:
    """Print a profile's rules, groups, hard filters and the most points a lead can score."""
    if profile is not None:
        loaded = load_profile(profile)
        console.print(f"[bold]{loaded.name}[/bold]  {loaded.description or ''}")
    else:
        with workspace_session() as session:
            record = (
                icp_store.find_profile(session, name=name, version=version)
                if name is not None
                else icp_store.active_profile(session)
            )
            loaded = icp_store.profile_of(record) if record else load_profile(None)
            where = (
                f"stored v{record.version}{', active' if record.active else ''}"
                if record
                else "built-in, active"
            )
        console.print(f"[bold]{loaded.name}[/bold] ({where})  {loaded.description or ''}")
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
    render_engagement(loaded.engagement)


def render_engagement(config: EngagementConfig) -> None:
    """The engagement section: points and caps per event type, the decay, the full score."""
    decay = (
        f"counted within {config.window_days:g} days"
        if config.window_days is not None
        else f"halved every {config.half_life_days:g} days"
    )
    console.print(
        f"engagement: events {decay}; {config.full_score_points:g} points make 100", markup=False
    )
    columns = [Column("event type", share=1), Column("points", **NUMBER), Column("cap", **NUMBER)]
    rows = [
        [kind, f"{points:+g}", f"{config.type_caps[kind]:g}" if kind in config.type_caps else ""]
        for kind, points in sorted(config.points.items(), key=lambda item: -item[1])
    ]
    console.print(fitted_table(columns, rows, width=console.width))


@icp_app.command("save")
def save_command(
    path: Annotated[Path, typer.Argument(help="Profile file (YAML or JSON)")],
    activate: Annotated[
        bool, typer.Option("--activate", help="Use it for workspace scoring from now on")
    ] = False,
) -> None:
    """Store a profile in the workspace as the next version of its name."""
    document = load_profile(path).model_dump(mode="json", exclude_none=True)
    with workspace_session() as session:
        record = icp_store.save_profile(
            session, document=document, created_by=system_user() or "cli", activate=activate
        )
        shown = f"{record.name} v{record.version}{' (active)' if record.active else ''}"
    console.print(f"profile {shown} saved")


@icp_app.command("list")
def list_command() -> None:
    """Stored profiles: the newest version of each, and the active one."""
    with workspace_session() as session:
        records = icp_store.list_profiles(session)
        rows = [
            (
                r.name,
                f"v{r.version}",
                "active" if r.active else "",
                r.created_by or "",
                f"{r.created_at:%Y-%m-%d %H:%M}",
            )
            for r in records
        ]
    table = Table()
    for column in ("name", "version", "", "by", "saved"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(
        table
        if rows
        else "no stored profiles: workspace scoring uses the built-in one "
        "(`leadrank icp save FILE --activate` stores yours)"
    )


@icp_app.command("activate")
def activate_command(
    name: Annotated[str | None, typer.Argument(help="Stored profile name")] = None,
    version: StoredVersion = None,
    built_in: Annotated[
        bool, typer.Option("--built-in", help="Go back to the built-in profile")
    ] = False,
) -> None:
    """Choose the profile `leadrank score` uses from its next run."""
    with workspace_session() as session:
        if built_in:
            icp_store.deactivate_profiles(session)
            shown = "the built-in profile"
        elif name is None:
            raise BadInput("name a stored profile (`leadrank icp list`), or --built-in")
        else:
            record = icp_store.activate_profile(session, name=name, version=version)
            shown = f"profile {record.name} v{record.version}"
    console.print(f"{shown} is active: `leadrank score` uses it")


@icp_app.command("apply")
def apply_command(
    source: Annotated[
        Path, typer.Argument(help="Lead list: CSV, TSV, JSON, JSONL, Parquet or Excel")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Where to write: .csv .tsv .xlsx .jsonl .json .parquet"
        ),
    ],
    profile: ProfileOption = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", "-m", help="JSON/TOML column mapping file")
    ] = None,
    safe_cells: SafeCellsOption = None,
) -> None:
    """Score a lead file against a profile: adds fit_score (0-100), disqualified and fit_reasons
    (no workspace)."""
    loaded = load_profile(profile)
    safe = safe_cells_chosen(safe_cells)
    with progress_bar(source.name) as progress:
        report = apply_profile_to_file(
            source,
            output,
            profile=loaded,
            mapping_path=mapping,
            progress=progress,
            safe_cells=safe,
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


accounts_app = typer.Typer(
    help="Companies scored from their leads (after `leadrank score`).", no_args_is_help=True
)


@accounts_app.command("list")
def accounts_list_command(
    limit: Annotated[int, typer.Option("--limit", "-n", help="Accounts to show")] = 20,
    grade: Annotated[str | None, typer.Option("--grade", "-g", help="Only this grade")] = None,
) -> None:
    """The best accounts by their latest served score, with how their leads add up."""
    with workspace_session() as session:
        run = served_run(session)
        rows = top_accounts(session, limit=limit, grade=grade.upper() if grade else None)
    columns = [
        Column("grade", fixed=True),
        Column("score", **NUMBER),
        Column("company", share=2),
        Column("domain", share=2, drop=1),
        Column("leads", **NUMBER),
        Column("why", share=4),
    ]
    cells = [
        [
            account.grade,
            f"{account.score:.1f}",
            company.name or "",
            company.domain or "",
            str(account.leads),
            "; ".join(account.reasons.get("summary", [])),
        ]
        for account, company in rows
    ]
    console.print(f"accounts scored by {run.model_version} ({run.as_of:%Y-%m-%d %H:%M})")
    console.print(
        fitted_table(columns, cells, width=console.width) if rows else "no account matches"
    )


def score(
    data: Annotated[Path | None, typer.Option("--data", "-d", help="A table to score")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write (.csv .jsonl .parquet ...)"),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Registry name (name or name:vN) or model directory"),
    ] = None,
    profile: Annotated[
        Path | None,
        typer.Option(
            "--profile",
            "-p",
            help="Workspace: ICP profile file for fit (default: the active stored one)",
        ),
    ] = None,
    grades: Annotated[
        str | None,
        typer.Option(
            "--grades",
            help="Lowest score of A,B,C,D (default 90,75,50,25 or LEADRANK_GRADE_THRESHOLDS)",
        ),
    ] = None,
    blend: Annotated[
        str | None,
        typer.Option(
            "--blend",
            help="Workspace: model share and rule weights, e.g. model=0.7,fit=0.5,engagement=0.5 "
            "(default model=1 or LEADRANK_SCORE_BLEND)",
        ),
    ] = None,
    safe_cells: SafeCellsOption = None,
) -> None:
    """Score a table (--data, -o) with a model, or every lead of the workspace (-o writes
    them, best first)."""
    settings = get_settings()
    scale = GradeScale.parse(grades) if grades else settings.grade_thresholds
    safe = safe_cells_chosen(safe_cells)
    if data is not None:
        if output is None:
            raise BadInput("--data needs --output FILE")
        if blend is not None or profile is not None:
            raise BadInput("--blend and --profile score the workspace; a table has no fit rules")
        from leadrank.scoring.table import load_model, score_table

        with workspace_session(settings) as session:
            bundle = load_model(session, model, settings.data_dir)
        report = score_table(path=data, output=output, bundle=bundle, grades=scale, safe_cells=safe)
        if report.missing_columns:
            shown = ", ".join(report.missing_columns[:8])
            err_console.print(
                f"warning: {len(report.missing_columns)} of the model's input columns are not "
                f"in {data.name} and count as missing: {shown}",
                markup=False,
            )
        grades = "  ".join(f"{g} {report.grades.get(g, 0):,}" for g in "ABCDE")
        console.print(
            f"{report.rows:,} rows scored with {bundle.metadata.get('name')}:v"
            f"{bundle.metadata.get('version')} -> {output}; mean probability "
            f"{report.mean_probability:.3f}; grades {grades}"
        )
        return
    if model is not None:
        raise BadInput(
            "--model goes with --data FILE; the workspace is scored by its active model "
            "(see `leadrank models promote`)"
        )
    from leadrank.scoring.score_run import score_workspace

    with workspace_session(settings) as session:
        runs = score_workspace(
            session,
            profile=icp_store.scoring_profile(session, profile),
            blend=Blend.parse(blend) if blend else settings.score_blend,
            grades=scale,
            lake_dir=settings.data_dir / "lake",
        )
    for run in runs:
        grades = "  ".join(f"{g} {run.grades.get(g, 0):,}" for g in "ABCDE")
        console.print(
            f"{run.leads:,} leads scored by {run.model_version} ({run.stage}) in "
            f"{run.seconds:.1f} s; grades {grades}; {run.accounts:,} accounts"
        )
    if output is not None:
        with workspace_session(settings) as session:
            written = export_leads(
                session, filters=LeadFilters(), sort="score", path=output, safe_cells=safe
            )
        console.print(f"{written.rows:,} scored leads, best first -> {output}")
