"""Owner routing: storing and activating rule sets, routing leads to owners (in bulk, as one
transaction that also tells the outbox), explaining one lead's routing, and setting an owner
by hand. Flushes only: the edge commits."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadrank.errors import BadInput, Conflict, NotFound
from leadrank.kit.storable import unstorable
from leadrank.leads.outlet_events import tell_owner_changed
from leadrank.orm import Lead, RoutingRuleset
from leadrank.routing import repository
from leadrank.routing.assigner import Assigner, Decision
from leadrank.routing.repository import LeadRow
from leadrank.routing.rules import EMAIL, FALLBACK, check_rules, parse_rules
from leadrank.routing.ruleset import Facts, RuleSet, facts_of

MANUAL = "manual"


@dataclass(frozen=True)
class Change:
    """A lead's owner before and after, and the rule (or "fallback") that chose it."""

    lead_id: int
    before: str | None
    after: str | None
    rule: str


@dataclass(frozen=True)
class OwnerLoad:
    """An owner's leads before the run, gained and lost in it, and their cap."""

    email: str
    name: str | None
    capacity: int | None
    before: int
    gained: int
    lost: int

    @property
    def total(self) -> int:
        """Leads they own after the run."""
        return self.before + self.gained - self.lost


@dataclass
class RouteReport:
    """What a routing run did (or, in a dry run, would do)."""

    version: int  # of the rule set used
    dry_run: bool
    considered: int = 0  # leads looked at
    assigned: int = 0  # leads without an owner that got one
    rerouted: int = 0  # leads moved to another owner by a rule that reroutes
    kept: int = 0  # leads that kept the owner they had
    missing: list[int] = field(default_factory=list)  # ids asked for that are no leads
    owners: list[OwnerLoad] = field(default_factory=list)
    rules: dict[str, int] = field(default_factory=dict)  # rule (or "fallback") -> leads routed
    unassigned: dict[str, int] = field(default_factory=dict)  # why -> leads left without owner
    passed_over: dict[str, int] = field(default_factory=dict)  # rule at capacity -> leads
    changes: list[Change] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class RuleCheck:
    """One rule's conditions tested against one lead."""

    name: str
    target: str
    reroute: bool
    matches: bool
    tests: list[str]


@dataclass(frozen=True)
class Explanation:
    """Why routing gives a lead the owner it gives: the facts, each rule's tests, the
    decision now, and, for a lead with an owner, what it would get without one."""

    lead_id: int
    owner: str | None
    owner_source: str | None
    version: int
    facts: Facts
    checks: list[RuleCheck]
    decision: Decision
    if_unowned: Decision | None


@dataclass(frozen=True)
class OwnerSet:
    """A lead's owner after a person set it."""

    lead_id: int
    owner: str | None
    owner_source: str | None
    owner_assigned_at: datetime | None
    previous_owner: str | None


def set_rules(
    session: Session, *, text: str, source: str = "routing rules", created_by: str | None = None
) -> RoutingRuleset:
    """Check a YAML rule set, store it as the next version and make it the active one."""
    problem = unstorable(text)
    if problem:
        raise BadInput(f"{source} {problem}")
    rules = parse_rules(text, source=source)
    record = RoutingRuleset(
        version=repository.next_version(session),
        text=text,
        rules=rules.document(),
        active=True,
        created_at=datetime.now(UTC),
        created_by=created_by,
    )
    try:
        repository.deactivate_rulesets(session)
        session.flush()
        session.add(record)
        session.flush()
    except IntegrityError as exc:
        raise Conflict("another rule set was stored at the same moment; store it again") from exc
    return record


def active_ruleset(session: Session) -> RoutingRuleset | None:
    """The stored rule set routing uses now, if any."""
    return repository.active_ruleset(session)


def active_rules(session: Session) -> RuleSet | None:
    """The active rule set, checked (for `crm_owner_id` and the like), if any."""
    record = repository.active_ruleset(session)
    return _rules_of(record) if record is not None else None


def route(
    session: Session,
    *,
    lead_ids: Sequence[int] | None = None,
    everyone: bool = False,
    dry_run: bool = False,
) -> RouteReport:
    """Give owners to the leads with these ids (default: every lead without an owner;
    `everyone`: every lead) by the active rules; with `dry_run`, only say what would change."""
    started = time.perf_counter()
    if not dry_run:
        repository.lock_routing(session)
    record, rules = _required(session)
    ids = sorted(set(lead_ids)) if lead_ids is not None else None
    rows = repository.leads_to_route(
        session, lead_ids=ids, unowned_only=ids is None and not everyone
    )
    grades = (
        repository.served_grades(session, [row.id for row in rows]) if rules.uses("grade") else {}
    )
    counts = repository.owner_counts(session, rules.owners)
    assigner = Assigner(rules, dict(counts), repository.read_turns(session, rules.teams))
    report = RouteReport(version=record.version, dry_run=dry_run, considered=len(rows))
    if ids is not None:
        report.missing = sorted(set(ids) - {row.id for row in rows})
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    per_rule: Counter[str] = Counter()
    unassigned: Counter[str] = Counter()
    passed_over: Counter[str] = Counter()
    known: dict[tuple[object, ...], Facts] = {}
    for row in rows:
        grade = grades.get(row.id)
        key = (
            row.country,
            row.state,
            row.employees,
            row.industry,
            grade,
            row.seniority,
            row.source,
        )
        facts = known.get(key)
        if facts is None:
            facts = known[key] = _facts(row, grade)
        decision = assigner.decide(row.owner, facts)
        passed_over.update(decision.passed_over)
        if not decision.changed:
            if row.owner is None:
                unassigned[decision.why] += 1
            else:
                report.kept += 1
            continue
        assert decision.owner is not None and decision.rule is not None
        report.changes.append(Change(row.id, row.owner, decision.owner, decision.rule))
        per_rule[decision.rule] += 1
        gained[decision.owner] += 1
        if row.owner is None:
            report.assigned += 1
        else:
            report.rerouted += 1
            lost[row.owner.strip().lower()] += 1
    in_order = [*(rule.name for rule in rules.rules), FALLBACK]
    report.rules = {name: per_rule[name] for name in in_order if per_rule[name]}
    report.unassigned = dict(unassigned)
    report.passed_over = dict(passed_over)
    report.owners = [
        OwnerLoad(
            email,
            owner.name,
            owner.capacity,
            counts.get(email, 0),
            gained[email],
            lost[email],
        )
        for email, owner in rules.owners.items()
    ]
    if report.changes and not dry_run:
        _write(session, report.changes, assigner)
    report.seconds = time.perf_counter() - started
    return report


def explain(session: Session, *, lead_id: int) -> Explanation:
    """Which rules a lead meets and why, and whom routing would give it now (nothing is
    written and no team's turn moves)."""
    record, rules = _required(session)
    found = repository.leads_to_route(session, lead_ids=[lead_id], unowned_only=False)
    if not found:
        raise NotFound(f"no lead {lead_id}")
    (row,) = found
    grade = repository.served_grades(session, [lead_id]).get(lead_id)
    facts = _facts(row, grade)
    counts = repository.owner_counts(session, rules.owners)
    turns = repository.read_turns(session, rules.teams)
    decision = Assigner(rules, dict(counts), dict(turns)).decide(row.owner, facts)
    if_unowned = None
    if row.owner is not None:
        # As if the lead were new: it no longer counts against its owner's cap.
        current = row.owner.strip().lower()
        freed = {**counts, **({current: counts[current] - 1} if current in counts else {})}
        if_unowned = Assigner(rules, freed, dict(turns)).decide(None, facts)
    lead = session.get(Lead, lead_id)
    return Explanation(
        lead_id=lead_id,
        owner=row.owner,
        owner_source=lead.owner_source if lead is not None else None,
        version=record.version,
        facts=facts,
        checks=[
            RuleCheck(
                name=rule.name,
                target=rule.target(),
                reroute=rule.reroute,
                matches=rule.matches(facts),
                tests=[condition.explained(facts) for condition in rule.conditions],
            )
            for rule in rules.rules
        ],
        decision=decision,
        if_unowned=if_unowned,
    )


def set_owner(session: Session, *, lead_id: int, owner: str | None) -> OwnerSet:
    """A person gives a lead an owner (an email) or takes its owner away (None)."""
    email = owner.strip().lower() if owner and owner.strip() else None
    if email is not None and (len(email) > 320 or not EMAIL.match(email)):
        raise BadInput(f"owner {owner!r} is not an email address")
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"no lead {lead_id}")
    before = lead.owner
    if (before or "").strip().lower() != (email or ""):
        lead.owner = email
        lead.owner_source = MANUAL if email else None
        lead.owner_assigned_at = datetime.now(UTC) if email else None
        lead.updated_at = datetime.now(UTC)
        session.flush()
        tell_owner_changed(session, [(lead_id, before, email, MANUAL)])
    return OwnerSet(
        lead_id=lead_id,
        owner=lead.owner,
        owner_source=lead.owner_source,
        owner_assigned_at=lead.owner_assigned_at,
        previous_owner=before,
    )


def _write(session: Session, changes: list[Change], assigner: Assigner) -> None:
    """The new owners, the teams' turns and the news of it, in the caller's transaction."""
    at = datetime.now(UTC)
    repository.write_owners(
        session, [(c.lead_id, c.after, f"routing:{c.rule}") for c in changes], at
    )
    repository.save_turns(session, {team: assigner.turns[team] for team in assigner.moved})
    tell_owner_changed(
        session, [(c.lead_id, c.before, c.after, f"routing:{c.rule}") for c in changes]
    )


def _required(session: Session) -> tuple[RoutingRuleset, RuleSet]:
    record = repository.active_ruleset(session)
    if record is None:
        raise Conflict("no routing rules yet: store some with `leadrank routing set FILE.yaml`")
    return record, _rules_of(record)


def _rules_of(record: RoutingRuleset) -> RuleSet:
    return check_rules(record.rules, source=f"routing rules v{record.version}")


def _facts(row: LeadRow, grade: str | None) -> Facts:
    return facts_of(
        country=row.country,
        state=row.state,
        employees=row.employees,
        industry=row.industry,
        grade=grade,
        seniority=row.seniority,
        source=row.source,
    )
