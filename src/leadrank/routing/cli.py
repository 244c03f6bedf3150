"""`leadrank routing set/show/run/explain`: thin commands over owner routing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadrank.db.workspace_db import workspace_session
from leadrank.errors import BadInput
from leadrank.kit.console import NUMBER, Column, console, fitted_table, printable, system_user
from leadrank.routing import service
from leadrank.routing.assigner import Decision
from leadrank.routing.ruleset import Facts

routing_app = typer.Typer(
    help="Owner routing: rules that give each lead an owner by territory, segment and round robin.",
    no_args_is_help=True,
)
CHANGES_SHOWN = 20


@routing_app.command("set")
def set_command(
    path: Annotated[Path, typer.Argument(help="The rule set (YAML)")],
) -> None:
    """Store a rule set as the next version and make it the active one."""
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{path.name}: not UTF-8 text") from None
    with workspace_session() as session:
        record = service.set_rules(
            session, text=text, source=path.name, created_by=system_user() or "cli"
        )
        version, document = record.version, record.rules
    fallback = document.get("fallback")
    console.print(
        f"routing rules v{version} active: {len(document['rules'])} rules, "
        f"{len(document['owners'])} owners, {len(document['teams'])} teams"
        + (f", fallback {fallback}" if fallback else ", no fallback"),
        markup=False,
    )


@routing_app.command("show")
def show_command() -> None:
    """Print the active rule set as it was written, with its version."""
    with workspace_session(writes=False) as session:
        record = service.active_ruleset(session)
        if record is None:
            console.print("no routing rules yet: `leadrank routing set FILE.yaml`")
            return
        version, text, at, by = record.version, record.text, record.created_at, record.created_by
    console.print(
        f"# routing rules v{version}, active; stored {at:%Y-%m-%d %H:%M}"
        + (f" by {by}" if by else ""),
        markup=False,
    )
    typer.echo(printable_text(text.rstrip("\n")))


@routing_app.command("run")
def run_command(
    everyone: Annotated[
        bool, typer.Option("--all", help="Every lead, not only those without an owner")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing")
    ] = False,
    lead: Annotated[
        list[int] | None, typer.Option("--lead", min=1, help="Only this lead (repeatable)")
    ] = None,
) -> None:
    """Give owners to the leads without one (--all: every lead; --lead: these) by the rules."""
    with workspace_session(writes=not dry_run) as session:
        report = service.route(session, lead_ids=lead or None, everyone=everyone, dry_run=dry_run)
    unassigned = sum(report.unassigned.values())
    console.print(
        f"{'dry run: would route' if dry_run else 'routed'} {report.considered:,} leads by "
        f"rules v{report.version} in {report.seconds:.2f} s: {report.assigned:,} assigned, "
        f"{report.rerouted:,} rerouted, {report.kept:,} kept, {unassigned:,} without an owner",
        markup=False,
    )
    owners = [
        [
            load.email,
            load.name or "",
            f"{load.before:,}",
            f"+{load.gained:,}" if load.gained else "",
            f"-{load.lost:,}" if load.lost else "",
            f"{load.total:,}",
            f"{load.capacity:,}" if load.capacity is not None else "",
            "full" if load.capacity is not None and load.total >= load.capacity else "",
        ]
        for load in report.owners
    ]
    console.print(
        fitted_table(
            [
                Column("owner", share=2),
                Column("name", drop=1),
                Column("before", **NUMBER),
                Column("new", **NUMBER),
                Column("lost", **NUMBER),
                Column("leads", **NUMBER),
                Column("capacity", **NUMBER),
                Column("", fixed=True),
            ],
            owners,
            width=console.width,
        )
    )
    if report.rules:
        rows = [[rule, f"{count:,}"] for rule, count in report.rules.items()]
        console.print(
            fitted_table([Column("rule"), Column("leads", **NUMBER)], rows, width=console.width)
        )
    for why, count in report.passed_over.items():
        console.print(f"passed over, {why}: {count:,} leads", markup=False)
    for why, count in report.unassigned.items():
        console.print(f"not routed ({why}): {count:,} leads", markup=False)
    if report.missing:
        shown = ", ".join(str(i) for i in report.missing[:CHANGES_SHOWN])
        console.print(f"no such leads: {shown}", markup=False)
    if dry_run and report.changes:
        rows = [
            [str(c.lead_id), c.before or "", c.after or "", c.rule]
            for c in report.changes[:CHANGES_SHOWN]
        ]
        columns = [Column("lead", **NUMBER), Column("from"), Column("to"), Column("rule")]
        console.print(fitted_table(columns, rows, width=console.width))
        if len(report.changes) > CHANGES_SHOWN:
            console.print(f"... and {len(report.changes) - CHANGES_SHOWN:,} more changes")


@routing_app.command("explain")
def explain_command(
    lead_id: Annotated[int, typer.Argument(min=1, help="The lead's id")],
) -> None:
    """Which rule a lead matches and why, and whom routing would give it now."""
    with workspace_session(writes=False) as session:
        found = service.explain(session, lead_id=lead_id)
    owner = (
        f"owner {found.owner} ({found.owner_source or 'source unknown'})"
        if found.owner
        else "no owner"
    )
    say = _plain
    say(f"lead {found.lead_id}: {owner}; rules v{found.version}")
    say(f"facts: {_facts(found.facts)}")
    for check in found.checks:
        mark = "matches" if check.matches else "no"
        tests = "; ".join(check.tests) if check.tests else "no conditions: every lead"
        reroute = ", reroutes" if check.reroute else ""
        say(f"  {mark:>7}  {check.name} -> {check.target}{reroute}: {tests}")
    say(_decided(found.decision, found.owner))
    if found.if_unowned is not None:
        say(f"without an owner: {_decided(found.if_unowned, None)}")


def _decided(decision: Decision, current: str | None) -> str:
    if decision.changed:
        moved = f"moves from {current} to" if current else "gets"
        return f"routing now {moved} {decision.owner} (by {decision.rule})"
    if current:
        return f"routing now keeps {current} ({decision.why})"
    return f"routing now leaves it without an owner ({decision.why})"


def _facts(facts: Facts) -> str:
    shown = [
        f"country {facts.country} ({facts.region or 'no region'})" if facts.country else "",
        f"state {facts.state}" if facts.state else "",
        f"employees {facts.employees:,}" if facts.employees is not None else "",
        f"industry {facts.industry}" if facts.industry else "",
        f"grade {facts.grade}" if facts.grade else "",
        f"seniority {facts.seniority}" if facts.seniority else "",
        f"source {facts.source}" if facts.source else "",
    ]
    return ", ".join(part for part in shown if part) or "none known"


def _plain(line: str) -> None:
    console.print(printable(line), markup=False, soft_wrap=True)


def printable_text(text: str) -> str:
    """Text shown as stored, each line without control characters."""
    return "\n".join(printable(line) for line in text.split("\n"))
