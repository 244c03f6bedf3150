"""`leadrank connectors hubspot|salesforce pull|push|sync`: the same three thin commands for
each CRM, over `connectors.crm.run`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from leadrank.config import get_settings
from leadrank.connectors import crm
from leadrank.connectors.instantly.cli import parse_since
from leadrank.db.workspace_db import open_workspace
from leadrank.kit.console import console, progress_bar

HELP = {
    "hubspot": "HubSpot CRM: pull contacts, companies and deals; push scores, grades, reasons "
    "and owners.",
    "salesforce": "Salesforce: pull Leads, Contacts, Accounts and Opportunities; push scores, "
    "grades, reasons and owners.",
}


def crm_app(vendor: str) -> typer.Typer:
    """The command group of one CRM."""
    app = typer.Typer(help=HELP[vendor], no_args_is_help=True)

    @app.command("pull")
    def pull_command(
        since: Annotated[
            str | None,
            typer.Option(
                "--since",
                help="Only records changed since (YYYY-MM-DD, UTC); default: since the last pull",
            ),
        ] = None,
    ) -> None:
        """Pull what changed since the last pull into the workspace (deals won and lost become
        outcome events); running it again adds nothing twice."""
        _run(vendor, "pull", since)

    @app.command("push")
    def push_command() -> None:
        """Push each linked record's score, grade, probability, reasons and owner, where they
        changed since the last push."""
        _run(vendor, "push", None)

    @app.command("sync")
    def sync_command(
        since: Annotated[
            str | None, typer.Option("--since", help="Pull records changed since (YYYY-MM-DD, UTC)")
        ] = None,
    ) -> None:
        """Pull, then push."""
        _run(vendor, "sync", since)

    return app


def _run(vendor: str, direction: str, since: str | None) -> None:
    settings = get_settings()
    crm.sync_module(vendor).client_for  # noqa: B018 - an unknown vendor fails before any work
    moment = parse_since(since) if since else None
    with open_workspace(settings) as engine, progress_bar(vendor) as progress:
        done = crm.run(
            engine,
            settings,
            vendor=vendor,
            direction=direction,
            since=moment,
            progress=progress,
            requested_by=f"cli {vendor} {direction}",
        )[vendor]
    _say(vendor, done)


def _say(vendor: str, done: dict[str, Any]) -> None:
    if pulled := done.get("pull"):
        console.print(
            f"{vendor} pull: {pulled['people']:,} people, {pulled['companies']:,} companies, "
            f"{pulled['deals']:,} deals ({pulled['outcomes']:,} outcome events); "
            f"{pulled['leads_created']:,} leads new, {pulled['leads_updated']:,} updated, "
            f"{pulled['events_created']:,} events new, {pulled['quarantined']:,} quarantined"
        )
        if pulled.get("follow_up_job"):
            console.print(
                f"queued job {pulled['follow_up_job']} to enrich and score what arrived: "
                "`leadrank worker --exit-when-idle` runs it now"
            )
    if pushed := done.get("push"):
        console.print(
            f"{vendor} push: {pushed['people_sent']:,} people updated, "
            f"{pushed['people_unchanged']:,} unchanged, {pushed['companies_sent']:,} companies "
            f"updated, {pushed['refused']:,} refused"
        )
        if pushed.get("properties_created"):
            console.print(f"created fields: {', '.join(pushed['properties_created'])}")
        if pushed.get("owners_unknown"):
            console.print(
                f"owners with no {vendor} user (not pushed): {', '.join(pushed['owners_unknown'])}"
            )
    console.print(f"{done.get('calls', 0):,} calls to {vendor}")
