"""`leadrank connectors instantly pull`: a thin command over `pull`; it owns the transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import httpx
import typer

from leadrank.config import get_settings
from leadrank.connectors.instantly.campaign_push import Segment
from leadrank.connectors.instantly.campaign_push import push as campaign_push
from leadrank.connectors.instantly.client import InstantlyClient
from leadrank.connectors.instantly.service import PullReport, pull
from leadrank.connectors.records import Tally
from leadrank.db.engine import session_scope
from leadrank.db.workspace_db import open_workspace
from leadrank.errors import BadInput
from leadrank.ingest.follow_up import after_arrivals
from leadrank.jobs.cli import say_queued
from leadrank.kit.console import console, progress_bar

instantly_app = typer.Typer(
    help="Instantly: pull campaigns, leads and email events; push leads into campaigns.",
    no_args_is_help=True,
)


@instantly_app.callback()
def instantly() -> None:
    """Instantly: pull campaigns, leads and email events; push leads into campaigns."""


@instantly_app.command("pull")
def pull_command(
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Only leads updated and emails created since (YYYY-MM-DD, UTC)"
        ),
    ] = None,
) -> None:
    """Pull campaigns, leads and email events from Instantly; running it again adds nothing
    twice."""
    settings = get_settings()
    if settings.instantly_api_key is None:
        raise BadInput("set LEADRANK_INSTANTLY_API_KEY to an Instantly API v2 key")
    moment = parse_since(since) if since else None
    # One transaction: a pull that fails leaves the workspace as it was, and is run again.
    with (
        open_workspace(settings) as engine,
        httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0)) as http,
        progress_bar("instantly") as progress,
        session_scope(engine) as session,
    ):
        client = InstantlyClient(
            http,
            api_key=settings.instantly_api_key,
            base_url=settings.instantly_base_url,
            emails_per_minute=settings.instantly_emails_per_minute,
        )
        report = pull(session, client, since=moment, progress=progress)
        job = after_arrivals(
            session,
            settings,
            leads=report.leads.leads_created + report.leads.leads_updated,
            events=report.leads.events_created + report.events.events_created,
            import_ids=report.import_ids,
            requested_by="instantly pull",
        )
        queued = {job.id: job.task} if job else {}
    render_pull(report)
    say_queued(queued)


def parse_since(text: str) -> datetime:
    """A date (midnight UTC) or an ISO time (UTC unless it says otherwise)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"--since {text!r} is not a date (YYYY-MM-DD) or ISO time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def render_pull(report: PullReport) -> None:
    """The summary of a pull."""
    since = f" since {report.since:%Y-%m-%d %H:%M} UTC" if report.since else ""
    console.print(f"[bold]Instantly pull{since}[/bold]: {report.campaigns:,} campaigns")
    console.print(
        f"leads: {report.leads_listed:,} listed; {_counts(report.leads)}; "
        f"{report.leads.leads_created:,} created, {report.leads.leads_updated:,} updated",
        markup=False,
    )
    console.print(
        f"emails: {report.emails_listed:,} listed, {report.emails_skipped:,} not sent yet; "
        f"{_counts(report.events)}; {report.events.events_created:,} lead events, "
        f"{report.events.leads_created:,} leads created for new emails"
        + (
            f"; {report.events.events_repeated:,} sent emails already recorded (by a webhook or"
            " an earlier pull)"
            if report.events.events_repeated
            else ""
        ),
        markup=False,
    )
    if report.unstorable:
        console.print(f"skipped {report.unstorable:,} records holding NUL characters")
    if report.quarantine_reasons:
        reasons = ", ".join(f"{r} {n:,}" for r, n in report.quarantine_reasons.most_common())
        console.print(f"quarantined: {reasons} (see `leadrank quarantine`)", markup=False)


def _counts(tally: Tally) -> str:
    return (
        f"{tally.new:,} new, {tally.already_there:,} already in bronze, "
        f"{tally.quarantined:,} quarantined"
    )


@instantly_app.command("push")
def push_command(
    campaign: Annotated[str, typer.Option("--campaign", "-c", help="The Instantly campaign's id")],
    grade: Annotated[
        list[str],
        typer.Option("--grade", "-g", help="Leads served this grade (repeatable, or A,B)"),
    ] = [],  # noqa: B006 - Typer reads the default, never mutates it
    min_score: Annotated[
        float | None, typer.Option("--min-score", help="Leads scoring at least this")
    ] = None,
    country: Annotated[
        list[str], typer.Option("--country", help="ISO country codes (repeatable)")
    ] = [],  # noqa: B006
    seniority: Annotated[
        list[str], typer.Option("--seniority", help="e.g. c_level, vp, director")
    ] = [],  # noqa: B006
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many, best first")
    ] = None,
    skip_if_in_workspace: Annotated[
        bool,
        typer.Option(
            "--skip-if-in-workspace", help="Skip leads Instantly has in any campaign or list"
        ),
    ] = False,
    skip_if_in_campaign: Annotated[
        bool, typer.Option("--skip-if-in-campaign", help="Skip leads Instantly has in any campaign")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say who would go; send nothing")
    ] = False,
) -> None:
    """Add the leads of a grade or segment to an Instantly campaign, each lead once per
    campaign, with its score, grade and top reason as custom variables."""
    settings = get_settings()
    if settings.instantly_api_key is None:
        raise BadInput("set LEADRANK_INSTANTLY_API_KEY to an Instantly API v2 key")
    grades = tuple(
        sorted({g.strip().upper() for text in grade for g in text.split(",") if g.strip()})
    )
    segment = Segment(
        grades=grades,
        min_score=min_score,
        countries=tuple(country),
        seniorities=tuple(seniority),
    )
    with (
        open_workspace(settings) as engine,
        httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0)) as http,
    ):
        client = InstantlyClient(
            http, api_key=settings.instantly_api_key, base_url=settings.instantly_base_url
        )
        report = campaign_push(
            engine,
            client,
            campaign_id=campaign,
            segment=segment,
            limit=limit,
            skip_if_in_workspace=skip_if_in_workspace,
            skip_if_in_campaign=skip_if_in_campaign,
            dry_run=dry_run,
        )
    if dry_run:
        console.print(
            f"would send {len(report.leads):,} leads to campaign {campaign} "
            f"({report.without_email:,} more of the segment have no usable email)"
        )
        return
    console.print(
        f"campaign {campaign}: {report.sent:,} leads sent, {report.added:,} added, "
        f"{report.already_in_campaign:,} already in it, {report.skipped:,} skipped, "
        f"{report.invalid:,} invalid; {report.without_email:,} of the segment have no usable "
        "email. Each lead goes to a campaign once: run it again to send only new ones."
    )
