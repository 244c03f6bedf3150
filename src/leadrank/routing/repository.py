"""Every query of routing: rule set versions, the leads to route with their facts, how many
leads each owner has, the teams' turns, and the bulk write of new owners."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from leadrank.kit.bulk import bulk_update
from leadrank.kit.sql import batched
from leadrank.leads.outlet_events import served_now
from leadrank.orm import Company, Lead, RoutingRuleset, RoutingTurn

# Held by a routing run until its transaction ends (PostgreSQL): two runs never interleave.
ROUTING_LOCK = 7_301_022
IDS_PER_STATEMENT = 5_000
UTC_TYPE = pl.Datetime("us", "UTC")


@dataclass(frozen=True, slots=True)
class LeadRow:
    """A lead as routing sees it: its owner and the facts its rules test."""

    id: int
    owner: str | None
    country: str | None
    state: str | None
    seniority: str | None
    source: str | None
    employees: int | None
    industry: str | None


def lock_routing(session: Session) -> None:
    """Wait until no other transaction routes, and hold that until this one ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROUTING_LOCK})


def active_ruleset(session: Session) -> RoutingRuleset | None:
    """The rule set routing uses now, if any."""
    return session.scalar(select(RoutingRuleset).where(RoutingRuleset.active))


def next_version(session: Session) -> int:
    """The version number of the next stored rule set."""
    return (session.scalar(select(func.max(RoutingRuleset.version))) or 0) + 1


def deactivate_rulesets(session: Session) -> None:
    """No rule set active (the unique index allows one at a time: let go before taking)."""
    session.execute(
        update(RoutingRuleset)
        .where(RoutingRuleset.active)
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )


def leads_to_route(
    session: Session, *, lead_ids: Sequence[int] | None, unowned_only: bool
) -> list[LeadRow]:
    """The leads with these ids (else every lead, or every lead without an owner), by id."""
    employees = func.coalesce(
        Company.employees,
        (Company.employees_min + Company.employees_max) / 2,
        Company.employees_min,
        Company.employees_max,
    )
    statement = select(
        Lead.id,
        Lead.owner,
        func.coalesce(Lead.country_code, Company.country_code),
        Lead.state,
        Lead.seniority,
        Lead.lead_source,
        employees,
        Company.industry,
    ).outerjoin(Company, Company.id == Lead.company_id)
    if unowned_only:
        statement = statement.where((Lead.owner.is_(None)) | (func.trim(Lead.owner) == ""))
    if lead_ids is None:
        rows = session.execute(statement.order_by(Lead.id)).all()
    else:
        rows = []
        for chunk in batched(sorted(set(lead_ids)), IDS_PER_STATEMENT):
            rows.extend(session.execute(statement.where(Lead.id.in_(chunk))).all())
        rows.sort(key=lambda row: row[0])
    return [
        LeadRow(
            row[0],
            row[1] if row[1] and row[1].strip() else None,
            *row[2:6],
            int(row[6]) if row[6] is not None else None,
            row[7],
        )
        for row in rows
    ]


def served_grades(session: Session, lead_ids: Sequence[int]) -> dict[int, str | None]:
    """The grade each lead is served (an override in force wins)."""
    served = served_now(session, lead_ids, with_reasons=False)
    return {lead_id: found.get("grade") for lead_id, found in served.items()}


def owner_counts(session: Session, emails: Iterable[str]) -> dict[str, int]:
    """How many leads each of these owners (lower-case emails) has now."""
    owner = func.lower(func.trim(Lead.owner))
    counts = dict.fromkeys(emails, 0)
    for chunk in batched(sorted(counts), IDS_PER_STATEMENT):
        for email, count in session.execute(
            select(owner, func.count()).where(owner.in_(chunk)).group_by(owner)
        ):
            counts[email] = count
    return counts


def read_turns(session: Session, teams: Iterable[str]) -> dict[str, int]:
    """Each team's round-robin position (0 for a team never routed to)."""
    wanted = list(teams)
    found = dict(
        session.execute(
            select(RoutingTurn.team, RoutingTurn.position).where(RoutingTurn.team.in_(wanted))
        ).all()
    )
    return {team: found.get(team, 0) for team in wanted}


def save_turns(session: Session, turns: dict[str, int]) -> None:
    """Store the teams' round-robin positions."""
    for team, position in turns.items():
        turn = session.get(RoutingTurn, team)
        if turn is None:
            session.add(RoutingTurn(team=team, position=position))
        else:
            turn.position = position
    session.flush()


def write_owners(
    session: Session, owners: Sequence[tuple[int, str | None, str | None]], at: datetime
) -> None:
    """Set (lead id, owner, owner source) on each lead, assigned at `at`, in one bulk update."""
    if not owners:
        return
    ids, emails, sources = zip(*owners, strict=True)
    frame = pl.DataFrame(
        {
            "id": list(ids),
            "owner": list(emails),
            "owner_source": list(sources),
            "owner_assigned_at": [at if email else None for email in emails],
            "updated_at": [at] * len(ids),
        },
        schema={
            "id": pl.Int64,
            "owner": pl.String,
            "owner_source": pl.String,
            "owner_assigned_at": UTC_TYPE,
            "updated_at": UTC_TYPE,
        },
    )
    bulk_update(session, Lead, frame)
