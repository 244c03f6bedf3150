"""`leadrank connectors instantly pull`: a thin command over `pull`; it owns the transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import httpx
import typer

from leadrank.config import get_settings
from leadrank.connectors.instantly.client import InstantlyClient
from leadrank.connectors.instantly.service import PullReport, Tally, pull
from leadrank.db.engine import session_scope
from leadrank.db.workspace_db import open_workspace
from leadrank.errors import BadInput
from leadrank.ingest.follow_up import after_arrivals
from leadrank.jobs.cli import say_queued
from leadrank.kit.console import console, progress_bar

instantly_app = typer.Typer(
    help="Instantly: cold-email campaigns, their leads and email events.", no_args_is_help=True
)


@instantly_app.callback()
def instantly() -> None:
    """Instantly: cold-email campaigns, their leads and email events."""


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
