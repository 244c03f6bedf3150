"""`leadrank ingest` and `leadrank quarantine`: thin commands over the ingest service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadrank.config import get_settings
from leadrank.db.engine import session_scope
from leadrank.db.workspace_db import open_workspace, workspace_session
from leadrank.errors import BadInput
from leadrank.ingest import quarantine as quarantine_service
from leadrank.ingest.follow_up import after_ingest
from leadrank.ingest.render import render_report
from leadrank.ingest.service import MAX_SOURCE_CHARS, ingest_file
from leadrank.jobs.cli import say_queued
from leadrank.kit.console import NUMBER, Column, console, fitted_table, progress_bar
from leadrank.kit.safe_cells_option import SafeCellsOption, safe_cells_chosen

KIND_WORDS = ("leads", "events")


def ingest(
    paths: Annotated[
        list[str], typer.Argument(help="[leads|events] FILE...: the kind is detected when omitted")
    ],
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            "-s",
            help="Where the file came from (apollo, hubspot, ...); default: the file name",
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            "-m",
            help="JSON/TOML file: {columns: {header: field, '-' (ignore) or '+' (attribute)}}",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the mapping and counts; write nothing")
    ] = False,
) -> None:
    """Load lead or event files (CSV, TSV, JSON, JSONL, Parquet, Excel) into the workspace."""
    kind = "auto"
    if paths and paths[0] in KIND_WORDS and not Path(paths[0]).exists():
        kind, paths = paths[0], paths[1:]
    if not paths:
        raise BadInput("name at least one file to ingest")
    settings = get_settings()
    queued: dict[int, str] = {}  # a job queued for one file may be the one for the next
    try:
        with open_workspace(settings) as engine:
            for name in paths:
                path = Path(name)
                file_source = source or path.stem.lower()[:MAX_SOURCE_CHARS]
                # One transaction per file: a file that fails leaves the workspace as it was,
                # and its follow-up (enrichment, rescoring) is queued with its rows or not at all.
                with (
                    progress_bar(path.name) as progress,
                    session_scope(engine, writes=not dry_run) as session,
                ):
                    report = ingest_file(
                        session,
                        path=path,
                        source=file_source,
                        kind=kind,
                        mapping_path=mapping,
                        dry_run=dry_run,
                        chunk_rows=settings.ingest_chunk_rows,
                        progress=progress,
                    )
                    if not dry_run and (
                        job := after_ingest(session, settings, report, requested_by="cli")
                    ):
                        queued[job.id] = job.task
                render_report(report)
    finally:  # also when a later file fails: the earlier files' jobs are queued
        say_queued(queued)


def quarantine(
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this source")] = None,
    import_id: Annotated[int | None, typer.Option("--import", help="Only this import")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Rows to show")] = 50,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write all matching rows to CSV/JSONL/Parquet"),
    ] = None,
    safe_cells: SafeCellsOption = None,
) -> None:
    """List the records that could not become leads or events, with their reasons."""
    with workspace_session(writes=False) as session:
        summary = quarantine_service.summarise(session, source=source, import_id=import_id)
        rows = quarantine_service.list_records(
            session, source=source, import_id=import_id, limit=None if output else limit
        )
    if output:
        written = quarantine_service.write_records(
            rows, output, safe_cells=safe_cells_chosen(safe_cells)
        )
        console.print(f"wrote {written} quarantined record(s) to {output}")
        return
    if not summary.total:
        console.print("Quarantine is empty: every record became a lead or an event.")
        return
    columns = [
        Column("id", **NUMBER),
        Column("source", drop=2),
        Column("file", drop=1),
        Column("row", **NUMBER),
        Column("reasons", share=3),
        Column("record", share=2),
    ]
    cells = [
        [
            str(row.id),
            row.source,
            row.file_name,
            str(row.row_number),
            "; ".join(row.reasons),
            " ".join(row.preview.split()),
        ]
        for row in rows
    ]
    console.print(f"Quarantine: {summary.total} record(s)")
    console.print(fitted_table(columns, cells, width=console.width))
    reasons = ", ".join(f"{reason} ({count})" for reason, count in summary.reasons.most_common())
    console.print(f"reasons: {reasons}")
    if summary.total > len(rows):
        console.print(
            f"showing {len(rows)} of {summary.total}; use --limit or --output FILE for all"
        )
