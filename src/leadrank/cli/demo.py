"""`leadrank demo`: sample -> ingest -> summary, the first five minutes of a new user."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadrank.cli.console import console, progress_bar
from leadrank.cli.workspace import open_workspace
from leadrank.config import get_settings
from leadrank.db.engine import session_scope
from leadrank.ingest.service import ingest_file
from leadrank.leads import service
from leadrank.leads.cli import render_stats
from leadrank.sample.cli import render_manifest, write_sample


def demo(
    leads: Annotated[int, typer.Option("--leads", "-n", help="People in the sample")] = 5_000,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the sample files go")] = Path(
        "demo"
    ),
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Generate a messy sample workspace, ingest it, and show what was loaded, merged and quarantined."""
    settings = get_settings()
    console.rule("1. sample files from several vendors")
    manifest = write_sample(out, leads=leads, seed=seed)
    render_manifest(manifest, out)

    console.rule("2. ingest")
    with open_workspace(settings) as engine:
        ordered = sorted(
            manifest.files, key=lambda f: f.kind != "leads"
        )  # leads before their events
        for item in ordered:
            path = out / item.name
            with progress_bar(item.name) as progress, session_scope(engine) as session:
                report = ingest_file(
                    session,
                    path=path,
                    source=item.vendor,
                    kind=item.kind,
                    chunk_rows=settings.ingest_chunk_rows,
                    progress=progress,
                )
            line = (
                f"{item.name:24} new {report.rows_new:>8,}  already there {report.rows_duplicate:>8,}  "
                f"quarantined {report.rows_quarantined:>6,}  "
            )
            if item.kind == "events":
                line += f"events +{report.events_created:,}"
            else:
                line += (
                    f"leads +{report.leads_created:,} ~{report.leads_updated:,} "
                    f"near-duplicates merged {report.leads_merged:,}, to review "
                    f"{report.pairs_to_review:,}  companies +{report.companies_created:,}"
                )
            console.print(line)

        console.rule("3. the workspace")
        with session_scope(engine) as session:
            render_stats(service.workspace_stats(session))
            best = service.list_leads(session, sort="quality", limit=10)
    console.rule("4. best-quality leads (scoring arrives with the model)")
    for lead in best:
        console.print(
            f"  {lead.id:>7}  {lead.quality_score:.2f}  {lead.full_name or '':28} {lead.job_title or '':32} "
            f"{lead.company_name or lead.company_domain or ''}"
        )
    console.print(
        "\nnext: `leadrank leads list -q <text>`, `leadrank leads show <id>`, "
        "`leadrank leads duplicates`, `leadrank quarantine`"
    )
