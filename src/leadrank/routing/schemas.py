"""API shapes of owner routing: the active rule set, a routing run and its report, and an
owner set by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from leadrank.orm import RoutingRuleset
from leadrank.routing.service import OwnerSet, RouteReport

MAX_LEADS_PER_RUN = 100_000
CHANGES_SHOWN = 1_000
LeadId = Annotated[int, Field(ge=1, le=2**62)]


class RulesetPublic(BaseModel):
    """A stored rule set: as written (YAML) and as checked (`rules`)."""

    version: int
    active: bool
    created_at: datetime
    created_by: str | None
    rules: dict[str, Any]
    yaml: str

    @classmethod
    def of(cls, record: RoutingRuleset) -> RulesetPublic:
        return cls(
            version=record.version,
            active=record.active,
            created_at=record.created_at,
            created_by=record.created_by,
            rules=record.rules,
            yaml=record.text,
        )


class RouteIn(BaseModel):
    """Which leads to route: these ids, else every lead without an owner (`everyone`: every
    lead, where a rule that reroutes may move it); `dry_run` writes nothing."""

    lead_ids: list[LeadId] | None = Field(default=None, max_length=MAX_LEADS_PER_RUN)
    everyone: bool = False
    dry_run: bool = False


class ChangePublic(BaseModel):
    """A lead's owner before and after, and the rule (or "fallback") that chose it."""

    lead_id: int
    before: str | None
    after: str | None
    rule: str


class OwnerLoadPublic(BaseModel):
    """An owner's leads before the run, gained and lost in it, after it, and their cap."""

    email: str
    name: str | None
    capacity: int | None
    before: int
    gained: int
    lost: int
    total: int


class RouteReportPublic(BaseModel):
    """What a routing run did (or would do, in a dry run); `changes` lists the first
    1,000 of `changes_total`."""

    version: int
    dry_run: bool
    considered: int
    assigned: int
    rerouted: int
    kept: int
    missing: list[int]
    owners: list[OwnerLoadPublic]
    rules: dict[str, int]
    unassigned: dict[str, int]
    passed_over: dict[str, int]
    changes: list[ChangePublic]
    changes_total: int
    seconds: float

    @classmethod
    def of(cls, report: RouteReport) -> RouteReportPublic:
        return cls(
            version=report.version,
            dry_run=report.dry_run,
            considered=report.considered,
            assigned=report.assigned,
            rerouted=report.rerouted,
            kept=report.kept,
            missing=report.missing,
            owners=[
                OwnerLoadPublic(
                    email=load.email,
                    name=load.name,
                    capacity=load.capacity,
                    before=load.before,
                    gained=load.gained,
                    lost=load.lost,
                    total=load.total,
                )
                for load in report.owners
            ],
            rules=report.rules,
            unassigned=report.unassigned,
            passed_over=report.passed_over,
            changes=[
                ChangePublic(lead_id=c.lead_id, before=c.before, after=c.after, rule=c.rule)
                for c in report.changes[:CHANGES_SHOWN]
            ],
            changes_total=len(report.changes),
            seconds=round(report.seconds, 3),
        )


class OwnerIn(BaseModel):
    """Who owns the lead now (an email), or null to take its owner away."""

    owner: str | None = Field(max_length=320, pattern=r"^[^\x00]*$")


class OwnerPublic(BaseModel):
    """A lead's owner, how it came and when, and whom it had before."""

    lead_id: int
    owner: str | None
    owner_source: str | None
    owner_assigned_at: datetime | None
    previous_owner: str | None

    @classmethod
    def of(cls, found: OwnerSet) -> OwnerPublic:
        return cls(
            lead_id=found.lead_id,
            owner=found.owner,
            owner_source=found.owner_source,
            owner_assigned_at=found.owner_assigned_at,
            previous_owner=found.previous_owner,
        )
