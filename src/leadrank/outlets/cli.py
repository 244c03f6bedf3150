"""`leadrank webhooks ...` and `leadrank alerts ...`: thin commands over the outlets."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from leadrank.config import get_settings
from leadrank.db.workspace_db import workspace_session
from leadrank.errors import AppError
from leadrank.kit.console import console, system_user
from leadrank.outbox.events import EVENT_TYPES
from leadrank.outlets import alert_rules, deliveries, endpoints, trials

webhooks_app = typer.Typer(
    help="Outgoing webhooks: endpoints that receive leadrank's events, signed the Standard "
    "Webhooks way.",
    no_args_is_help=True,
)
alerts_app = typer.Typer(
    help="Chat alerts (Slack incoming webhooks or JSON) when a lead enters a grade or "
    "reaches a score.",
    no_args_is_help=True,
)


@webhooks_app.command("add")
def add_command(
    url: Annotated[str, typer.Argument(help="Where to POST the events (http or https)")],
    events: Annotated[
        list[str],
        typer.Option(
            "--events", "-e", help=f"Event types, comma-separated, or all: {', '.join(EVENT_TYPES)}"
        ),
    ],
    description: Annotated[str, typer.Option("--description", "-d", help="What it is for")] = "",
) -> None:
    """Subscribe a URL to events; its signing secret is printed once, alone on the last line."""
    settings = get_settings()
    with workspace_session(settings) as session:
        endpoint = endpoints.add_endpoint(
            session,
            settings,
            url=url,
            events=events,
            description=description,
            created_by=system_user(),
        )
        endpoint_id, chosen, secret = endpoint.id, list(endpoint.events), endpoint.secret
    console.print(
        f"webhook endpoint {endpoint_id} receives {', '.join(chosen)}; verify each delivery's "
        "webhook-signature with this secret (shown once, keep it secret):"
    )
    print(secret)


@webhooks_app.command("list")
def list_command() -> None:
    """Every endpoint with its events and how its deliveries stand (secrets are not shown)."""
    with workspace_session(writes=False) as session:
        found = endpoints.list_endpoints(session)
        rows = [
            (
                str(state.endpoint.id),
                state.endpoint.url,
                ", ".join(state.endpoint.events),
                f"{state.pending:,}",
                f"{state.delivered:,}",
                f"{state.dead:,}",
                f"{state.endpoint.paused_until:%Y-%m-%d %H:%M}"
                if state.endpoint.paused_until
                else "",
            )
            for state in found
        ]
    if not rows:
        console.print(
            "no webhook endpoints yet: `leadrank webhooks add URL --events lead.grade_changed`"
        )
        return
    table = Table()
    for column in ("id", "url", "events", "pending", "delivered", "dead", "failing until"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@webhooks_app.command("test")
def test_command(
    endpoint_id: Annotated[int, typer.Argument(min=1, help="The endpoint's id")],
) -> None:
    """Send the endpoint a signed `webhook.test` message now and show its answer."""
    settings = get_settings()
    with workspace_session(settings, writes=False) as session:
        endpoint = endpoints.get_endpoint(session, endpoint_id)
        session.expunge(endpoint)
    trial = trials.try_endpoint(settings, endpoint)
    _say_trial(trial, endpoint.url)


@webhooks_app.command("deliveries")
def deliveries_command(
    failed: Annotated[
        bool, typer.Option("--failed", help="Only dead ones and those failing")
    ] = False,
    endpoint: Annotated[
        int | None, typer.Option("--endpoint", min=1, help="One endpoint's")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000)] = 50,
) -> None:
    """Deliveries, newest first: the event, where, status, attempts, the receiver's answer."""
    with workspace_session(writes=False) as session:
        found = deliveries.list_deliveries(
            session, failed_only=failed, endpoint_id=endpoint, limit=limit
        )
        rows = [
            (
                str(delivery.id),
                message.event_type,
                str(delivery.endpoint_id),
                message.key or "",
                delivery.status,
                str(delivery.attempts),
                _answer(delivery.last_status, delivery.last_error),
                f"{delivery.next_attempt_at:%Y-%m-%d %H:%M:%S}"
                if delivery.status == "pending"
                else "",
            )
            for delivery, message in found
        ]
    if not rows:
        console.print("no failed deliveries" if failed else "no deliveries yet")
        return
    table = Table()
    for column in (
        "id",
        "event",
        "endpoint",
        "of",
        "status",
        "attempts",
        "last answer",
        "next try",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@webhooks_app.command("retry")
def retry_command(
    delivery_id: Annotated[int, typer.Argument(min=1, help="A delivery's id")],
) -> None:
    """Send a dead delivery again (with a fresh round of retries)."""
    with workspace_session() as session:
        delivery = deliveries.replay(session, delivery_id)
        endpoint_id = delivery.endpoint_id
    console.print(
        f"delivery {delivery_id} to endpoint {endpoint_id} queued again: a worker sends it "
        "(`leadrank worker --exit-when-idle` sends what is due now)"
    )


@webhooks_app.command("remove")
def remove_command(
    endpoint_id: Annotated[int, typer.Argument(min=1, help="The endpoint's id")],
) -> None:
    """Stop sending to an endpoint; its deliveries, sent or waiting, are removed with it."""
    with workspace_session() as session:
        endpoint = endpoints.remove_endpoint(session, endpoint_id)
        url = endpoint.url
    console.print(f"webhook endpoint {endpoint_id} ({url}) removed")


@alerts_app.command("add")
def alert_add_command(
    name: Annotated[str, typer.Argument(help="A name for the rule")],
    url: Annotated[str, typer.Option("--url", help="The chat's incoming-webhook URL")],
    grade: Annotated[
        list[str],
        typer.Option(
            "--grade", "-g", help="Alert when a lead enters this grade (repeatable, or A,B)"
        ),
    ] = [],  # noqa: B006
    min_score: Annotated[
        float | None, typer.Option("--min-score", help="Alert when a score reaches this")
    ] = None,
    form: Annotated[
        str, typer.Option("--format", help="slack (incoming webhook) or json")
    ] = "slack",
    digest: Annotated[
        bool, typer.Option("--digest", help="One message a day instead of one per lead")
    ] = False,
    digest_hour: Annotated[
        int, typer.Option("--digest-hour", min=0, max=23, help="The digest's hour")
    ] = 8,
    quiet: Annotated[
        str | None, typer.Option("--quiet", help="Hold alerts in these hours, e.g. 20:00-08:00")
    ] = None,
    timezone: Annotated[
        str, typer.Option("--timezone", help="For the digest hour and quiet hours")
    ] = "UTC",
) -> None:
    """Add an alert rule."""
    settings = get_settings()
    with workspace_session(settings) as session:
        rule = alert_rules.add_rule(
            session,
            settings,
            name=name,
            url=url,
            grades=grade,
            min_score=min_score,
            form=form,
            digest=digest,
            digest_hour=digest_hour,
            quiet=quiet,
            timezone=timezone,
            created_by=system_user(),
        )
        said = f"alert rule {rule.id} ({rule.name}): when {alert_rules.describe(rule)}"
    console.print(said)


@alerts_app.command("list")
def alert_list_command() -> None:
    """Every alert rule, when it fires, and the leads waiting to be told."""
    with workspace_session(writes=False) as session:
        rows = [
            (
                str(rule.id),
                rule.name,
                alert_rules.describe(rule),
                rule.format,
                alert_rules.masked(rule.url),
                f"{waiting:,}",
            )
            for rule, waiting in alert_rules.list_rules(session)
        ]
    if not rows:
        console.print("no alert rules yet: `leadrank alerts add hot-leads --url URL --grade A`")
        return
    table = Table()
    for column in ("id", "name", "when", "format", "url", "waiting"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@alerts_app.command("test")
def alert_test_command(rule: Annotated[str, typer.Argument(help="The rule's id or name")]) -> None:
    """Post a sample alert about a made-up lead to the rule's URL now."""
    settings = get_settings()
    with workspace_session(settings, writes=False) as session:
        found = alert_rules.get_rule(session, rule)
        session.expunge(found)
    trial = trials.try_rule(settings, found)
    _say_trial(trial, alert_rules.masked(found.url))


@alerts_app.command("remove")
def alert_remove_command(
    rule: Annotated[str, typer.Argument(help="The rule's id or name")],
) -> None:
    """Remove an alert rule with the alerts it has not sent yet."""
    with workspace_session() as session:
        found = alert_rules.remove_rule(session, rule)
        said = f"alert rule {found.id} ({found.name}) removed"
    console.print(said)


def _answer(status: int | None, error: str | None) -> str:
    if error:
        return error[:80]
    return str(status) if status else ""


def _say_trial(trial: trials.Trial, where: str) -> None:
    if trial.ok:
        console.print(
            f"{where} answered {trial.status} in {trial.milliseconds:.0f} ms (message {trial.msg_id})"
        )
        return
    raise AppError(f"{where} did not take the test message: {trial.error}")
