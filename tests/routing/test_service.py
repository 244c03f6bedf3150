"""Routing over a real workspace (SQLite and PostgreSQL): rules in order, round robin, caps,
re-routing, the outbox, dry runs."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from leadrank.config import get_settings
from leadrank.db.engine import session_scope
from leadrank.errors import Conflict
from leadrank.leads.grade_overrides import set_override
from leadrank.orm import Lead, RoutingRuleset, RoutingTurn
from leadrank.orm.outlets import OutboxMessage
from leadrank.routing.ruleset import crm_owner_id
from leadrank.routing.service import active_rules, explain, route, set_owner, set_rules
from tests.conftest import Workspace
from tests.outlets.helpers import subscribe
from tests.routing.helpers import add_people, owners, person, store_rules

TERRITORIES = """
owners:
  - {email: ana@acme.com, hubspot_owner_id: "101"}
  - bo@acme.com
  - cy@acme.com
  - dee@acme.com
teams:
  emea: [bo@acme.com, cy@acme.com]
rules:
  - name: enterprise-na
    when: {country: [US, CA], employees_min: 1000}
    assign: {owner: ana@acme.com}
  - name: texas
    when: {country: US, state: [tx]}
    assign: {owner: dee@acme.com}
  - name: emea
    when: {region: EMEA}
    assign: {team: emea}
  - name: software-a
    when: {industry: [software], grade: [A]}
    assign: {owner: ana@acme.com}
fallback: dee@acme.com
"""


def _team_of_three(capacity: str = "") -> str:
    return f"""
owners:
  - {{email: a@acme.com{capacity}}}
  - {{email: b@acme.com{capacity}}}
  - {{email: c@acme.com{capacity}}}
  - fb@acme.com
teams:
  de: [a@acme.com, b@acme.com, c@acme.com]
rules:
  - {{name: germany, when: {{country: DE}}, assign: {{team: de}}}}
fallback: fb@acme.com
"""


def test_territory_and_segment_rules_in_order(workspace: Workspace, tmp_path: Path) -> None:
    ids = add_people(
        workspace,
        tmp_path,
        person("ann", "US", state="CA", employees=5_000),
        person("tex", "US", state="TX", employees=5_000),  # both NA rules match: the first wins
        person("tom", "US", state="Tx", employees=50),
        person("dirk", "DE"),
        person("flo", "FR"),
        person("bia", "BR", industry="Software"),
        person("rui", "BR", industry="Software"),
        person("ned"),
    )
    store_rules(workspace, TERRITORIES)
    with session_scope(workspace.engine) as session:
        set_override(session, lead_id=ids[5], grade="A", reason="demo", by="test")
        set_override(session, lead_id=ids[6], grade="C", reason="demo", by="test")
    with session_scope(workspace.engine) as session:
        report = route(session)
    assert owners(workspace, ids) == [
        ("ana@acme.com", "routing:enterprise-na"),
        ("ana@acme.com", "routing:enterprise-na"),
        ("dee@acme.com", "routing:texas"),
        ("bo@acme.com", "routing:emea"),
        ("cy@acme.com", "routing:emea"),
        ("ana@acme.com", "routing:software-a"),
        ("dee@acme.com", "routing:fallback"),
        ("dee@acme.com", "routing:fallback"),
    ]
    assert (report.considered, report.assigned, report.rerouted, report.unassigned) == (8, 8, 0, {})
    assert report.rules == {
        "enterprise-na": 2,
        "texas": 1,
        "emea": 2,
        "software-a": 1,
        "fallback": 2,
    }
    assert {load.email: load.total for load in report.owners} == {
        "ana@acme.com": 3,
        "bo@acme.com": 1,
        "cy@acme.com": 1,
        "dee@acme.com": 3,
    }
    with session_scope(workspace.engine) as session:
        assert session.scalar(select(func.count()).where(Lead.owner_assigned_at.is_not(None))) == 8
        again = route(session)  # everyone has an owner now: nothing to do
        assert (again.considered, again.changes) == (0, [])
        told = explain(session, lead_id=ids[2])
        assert [check.matches for check in told.checks] == [False, True, False, False]
        assert told.checks[0].tests == ["country US is one of CA, US", "employees 50 < 1,000"]
        assert not told.decision.changed and told.if_unowned is not None
        assert told.if_unowned.owner == "dee@acme.com" and told.if_unowned.rule == "texas"
        assert crm_owner_id(active_rules(session), "ana@acme.com", "hubspot") == "101"


def test_round_robin_spreads_leads_evenly_and_remembers_whose_turn(
    workspace: Workspace, tmp_path: Path
) -> None:
    ids = add_people(workspace, tmp_path, *(person(f"p{i:02d}", "DE") for i in range(30)))
    store_rules(workspace, _team_of_three())
    with session_scope(workspace.engine) as session:
        report = route(session)
    got = [owner for owner, _ in owners(workspace, ids)]
    assert got[:4] == ["a@acme.com", "b@acme.com", "c@acme.com", "a@acme.com"]
    assert Counter(got) == {"a@acme.com": 10, "b@acme.com": 10, "c@acme.com": 10}
    assert report.rules == {"germany": 30}
    more = add_people(workspace, tmp_path, person("late1", "DE"), person("late2", "DE"))
    with session_scope(workspace.engine) as session:
        assert session.get(RoutingTurn, "de").position == 0  # type: ignore[union-attr]
        route(session, lead_ids=more)
    assert [owner for owner, _ in owners(workspace, more)] == ["a@acme.com", "b@acme.com"]


def test_capacity_caps_skip_owners_and_a_full_team_falls_back(
    workspace: Workspace, tmp_path: Path
) -> None:
    ids = add_people(workspace, tmp_path, *(person(f"q{i}", "DE") for i in range(8)))
    store_rules(
        workspace,
        _team_of_three(", capacity: 2").replace(
            "- fb@acme.com", "- {email: fb@acme.com, capacity: 1}"
        ),
    )
    with session_scope(workspace.engine) as session:
        set_owner(session, lead_id=ids[0], owner="A@acme.com")  # a has one lead already
    with session_scope(workspace.engine) as session:
        report = route(session)
    got = [owner for owner, _ in owners(workspace, ids[1:])]
    assert Counter(got) == {
        "a@acme.com": 1,
        "b@acme.com": 2,
        "c@acme.com": 2,
        "fb@acme.com": 1,
        None: 1,
    }
    assert got[-2:] == ["fb@acme.com", None]
    assert report.passed_over == {
        "rule germany: team de at capacity": 2,
        "fallback fb@acme.com at capacity": 1,
    }
    assert report.unassigned == {
        "rule germany: team de at capacity; fallback fb@acme.com at capacity": 1
    }
    loads = {
        load.email: (load.before, load.gained, load.total, load.capacity) for load in report.owners
    }
    assert loads["a@acme.com"] == (1, 1, 2, 2) and loads["fb@acme.com"] == (0, 1, 1, 1)


def test_leads_with_owners_move_only_where_a_rule_reroutes(
    workspace: Workspace, tmp_path: Path
) -> None:
    ids = add_people(
        workspace, tmp_path, person("de1", "DE"), person("us1", "US"), person("de2", "DE")
    )
    store_rules(
        workspace,
        """
owners: [ana@acme.com, bo@acme.com]
teams: {emea: [bo@acme.com]}
rules:
  - {name: emea, when: {region: EMEA}, assign: {team: emea}, reroute: true}
  - {name: na, when: {region: NA}, assign: {owner: ana@acme.com}}
""",
    )
    with session_scope(workspace.engine) as session:
        for lead_id in ids[:2]:
            set_owner(session, lead_id=lead_id, owner="old@acme.com")
        set_owner(session, lead_id=ids[2], owner="bo@acme.com")
    with session_scope(workspace.engine) as session:
        assert route(session).considered == 0  # by default only leads without an owner
    with session_scope(workspace.engine) as session:
        report = route(session, everyone=True)
    assert (report.rerouted, report.kept, report.assigned) == (1, 2, 0)
    assert owners(workspace, ids) == [
        ("bo@acme.com", "routing:emea"),
        ("old@acme.com", "manual"),
        ("bo@acme.com", "manual"),
    ]
    assert [(c.lead_id, c.before, c.after) for c in report.changes] == [
        (ids[0], "old@acme.com", "bo@acme.com")
    ]


def test_owner_changes_reach_the_outbox_and_a_dry_run_writes_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    ids = add_people(workspace, tmp_path, person("x1", "DE"), person("x2", "DE"))
    store_rules(workspace, _team_of_three())
    subscribe(workspace, get_settings(), "https://93.184.215.14/hook", "lead.owner_changed")
    with session_scope(workspace.engine) as session:
        dry = route(session, dry_run=True)
    assert [(c.lead_id, c.after, c.rule) for c in dry.changes] == [
        (ids[0], "a@acme.com", "germany"),
        (ids[1], "b@acme.com", "germany"),
    ]
    assert owners(workspace, ids) == [(None, None), (None, None)]
    with session_scope(workspace.engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.get(RoutingTurn, "de") is None
    with session_scope(workspace.engine) as session:
        route(session)
        set_owner(session, lead_id=ids[1], owner="c@acme.com")
        set_owner(session, lead_id=ids[1], owner="C@acme.com")  # the same owner: no news
    with session_scope(workspace.engine) as session:
        told = [
            message.payload["data"]
            for message in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    assert [(d["lead_id"], d["previous_owner"], d["owner"], d["assigned_by"]) for d in told] == [
        (ids[0], None, "a@acme.com", "routing:germany"),
        (ids[1], None, "b@acme.com", "routing:germany"),
        (ids[1], "b@acme.com", "c@acme.com", "manual"),
    ]


def test_rule_sets_are_versioned_and_routing_needs_one(workspace: Workspace) -> None:
    with (
        session_scope(workspace.engine) as session,
        pytest.raises(Conflict, match="no routing rules"),
    ):
        route(session)
    first = store_rules(workspace, _team_of_three())
    second = store_rules(workspace, TERRITORIES)
    with session_scope(workspace.engine) as session:
        active = session.scalars(select(RoutingRuleset.version).where(RoutingRuleset.active)).all()
        assert (first, second, active) == (1, 2, [2])
        assert set_rules(session, text=TERRITORIES).version == 3


def test_two_runs_at_once_do_not_interleave(workspace: Workspace, tmp_path: Path) -> None:
    ids = add_people(workspace, tmp_path, *(person(f"r{i}", "DE") for i in range(6)))
    store_rules(workspace, _team_of_three())
    second: list[int] = []

    def run_second() -> None:
        with session_scope(workspace.engine, writes=True) as session:
            second.append(route(session).considered)

    with session_scope(workspace.engine, writes=True) as session:
        assert route(session).assigned == 6
        waiting = threading.Thread(target=run_second)
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive()  # held back until the first run commits
    waiting.join(timeout=10)
    assert second == [0]  # it found every lead routed, each once
    assert Counter(owner for owner, _ in owners(workspace, ids)) == {
        "a@acme.com": 2,
        "b@acme.com": 2,
        "c@acme.com": 2,
    }
