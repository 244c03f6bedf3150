"""The summary an ingestion prints."""

from __future__ import annotations

from rich.table import Table

from leadrank.ingest.schemas import IngestReport
from leadrank.kit.console import console

# The fields worth telling a user about when no column feeds them.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "leads": ("email", "full_name", "job_title", "company_name", "website", "phone", "country"),
    "events": ("email", "event_type", "occurred_at"),
}


def render_report(report: IngestReport) -> None:
    """Print what was mapped, what could not be, and what the import did."""
    title = f"{report.file_name} ({report.file_format}"
    if report.delimiter:
        title += f", delimiter {report.delimiter!r}"
    if report.encoding:
        title += f", {report.encoding}"
    title += f") as {report.kind} from source '{report.source}'"
    console.print(
        f"[bold]{title}[/bold]"
        + ("  [yellow](dry run: nothing written)[/yellow]" if report.dry_run else "")
    )

    mapped = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    mapped.add_column("field")
    mapped.add_column("from column(s)")
    for field, columns in report.mapping.fields.items():
        mapped.add_row(field, ", ".join(columns))
    console.print(mapped)
    missing = report.mapping.missing(KEY_FIELDS[report.kind])
    if {"first_name", "last_name"} & report.mapping.fields.keys():
        missing = [name for name in missing if name != "full_name"]  # the parts make the name
    if missing:
        console.print("[yellow]no column found for:[/yellow] " + ", ".join(missing))
    if report.mapping.attributes:
        console.print(
            f"kept as custom attributes ({len(report.mapping.attributes)}): "
            + ", ".join(report.mapping.attributes)
        )
    if report.mapping.ignored:
        console.print("ignored by the mapping file: " + ", ".join(report.mapping.ignored))

    if report.repeat_of is not None:
        console.print(
            f"[yellow]this file was ingested before (import {report.repeat_of}) from '{report.source}'[/yellow]"
        )
    counts = (
        f"rows read {report.rows_read:,}; new {report.rows_new:,}; already in bronze {report.rows_duplicate:,}; "
        f"quarantined {report.rows_quarantined:,}"
    )
    if report.kind == "events":
        counts += f"; events {report.events_created:,}; leads created for new emails {report.leads_created:,}"
        if report.events_repeated:
            counts += f"; events already recorded (same event id) {report.events_repeated:,}"
    else:
        counts += (
            f"; leads created {report.leads_created:,}, updated {report.leads_updated:,}; "
            f"companies created {report.companies_created:,}"
        )
    console.print(counts)
    if report.leads_merged or report.pairs_to_review:
        console.print(
            f"near-duplicates: {report.leads_merged:,} new leads merged into the same person, "
            f"{report.pairs_to_review:,} likely pairs to review (see `leadrank leads duplicates`)"
        )
    if report.rows_retried:
        console.print(
            f"quarantined records sent again and processed again: {report.rows_retried:,}"
        )
    if report.rows_new == 0 and report.rows_read:
        console.print("nothing new: every record was already in bronze")
    if report.quarantine_reasons:
        console.print(
            "quarantine reasons: "
            + ", ".join(
                f"{reason.split(':')[0]} ({count:,})"
                for reason, count in report.quarantine_reasons.most_common()
            )
            + "  (see `leadrank quarantine`)"
        )
    if report.issues:
        console.print(
            "issues found: " + ", ".join(f"{i} ({c:,})" for i, c in report.issues.most_common(8))
        )
