"""`/api/v1/routing` and `/api/v1/leads/{id}/owner` on a real server, with keys of each role."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from leadrank.config import get_settings
from leadrank.db.engine import session_scope
from leadrank.orm.outlets import OutboxMessage
from tests.conftest import CliResult, Workspace
from tests.outlets.helpers import subscribe
from tests.routing.helpers import add_people, owners, person
from tests.server import Server

RULES = """\
owners: [ana@acme.com, ben@acme.com]
teams: {emea: [ana@acme.com, ben@acme.com]}
rules:
  - {name: emea, when: {region: EMEA}, assign: {team: emea}}
"""


def _key(cli: Callable[..., CliResult], role: str) -> dict[str, str]:
    return {"X-API-Key": cli("keys", "create", "--role", role).stdout.strip().splitlines()[-1]}


def test_rules_runs_and_owners_by_role(
    workspace: Workspace,
    cli: Callable[..., CliResult],
    start_server: Callable[..., Server],
    tmp_path: Path,
) -> None:
    ids = add_people(
        workspace, tmp_path, person("dirk", "DE"), person("flo", "FR"), person("ned", "US")
    )
    reader, writer, admin = (_key(cli, role) for role in ("reader", "writer", "admin"))
    client = start_server().client

    assert client.get("/api/v1/routing", headers=reader).status_code == 404
    as_text = {"Content-Type": "text/plain"}
    assert (
        client.put("/api/v1/routing", content=RULES, headers={**writer, **as_text}).status_code
        == 403
    )
    assert (
        client.put("/api/v1/routing", content=RULES, headers={**admin, **as_text}).status_code
        == 200
    )
    stored = client.put("/api/v1/routing", json={"yaml": RULES}, headers=admin)
    assert stored.status_code == 200, stored.text
    assert stored.json()["version"] == 2 and stored.json()["created_by"]
    shown = client.get("/api/v1/routing", headers=reader).json()
    assert (shown["version"], shown["yaml"]) == (2, RULES)
    assert shown["rules"]["teams"] == {"emea": ["ana@acme.com", "ben@acme.com"]}
    bad = client.put(
        "/api/v1/routing",
        json={"yaml": RULES.replace("region: EMEA", "region: MARS")},
        headers=admin,
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == (
        "the rule set: line 4: rule 'emea': region: unknown region 'MARS'; regions are EMEA, NA, LATAM, APAC"
    )
    assert client.put("/api/v1/routing", json={"rules": []}, headers=admin).status_code == 422
    assert client.get("/api/v1/routing", headers=reader).json()["version"] == 2

    assert client.post("/api/v1/routing/run", json={}, headers=reader).status_code == 403
    dry = client.post("/api/v1/routing/run", json={"dry_run": True}, headers=writer).json()
    assert (dry["dry_run"], dry["assigned"], dry["changes_total"]) == (True, 2, 2)
    assert dry["unassigned"] == {"no rule matches, no fallback": 1}
    ran = client.post("/api/v1/routing/run", json={"lead_ids": [ids[0], 999]}, headers=writer)
    assert ran.status_code == 200, ran.text
    report = ran.json()
    assert (report["assigned"], report["missing"], report["rules"]) == (1, [999], {"emea": 1})
    assert report["changes"] == [
        {"lead_id": ids[0], "before": None, "after": "ana@acme.com", "rule": "emea"}
    ]
    assert {o["email"]: o["total"] for o in report["owners"]} == {
        "ana@acme.com": 1,
        "ben@acme.com": 0,
    }
    assert (
        client.post("/api/v1/routing/run", json={"lead_ids": [0]}, headers=writer).status_code
        == 422
    )


def test_setting_an_owner_by_hand(
    workspace: Workspace,
    cli: Callable[..., CliResult],
    start_server: Callable[..., Server],
    tmp_path: Path,
) -> None:
    (lead_id,) = add_people(workspace, tmp_path, person("dirk", "DE"))
    reader, writer = _key(cli, "reader"), _key(cli, "writer")
    subscribe(workspace, get_settings(), "https://93.184.215.14/hook", "lead.owner_changed")
    client = start_server().client
    url = f"/api/v1/leads/{lead_id}/owner"
    assert client.put(url, json={"owner": "ana@acme.com"}, headers=reader).status_code == 403
    set_ = client.put(url, json={"owner": "Ana@Acme.com"}, headers=writer)
    assert set_.status_code == 200, set_.text
    body = set_.json()
    assert (body["owner"], body["owner_source"], body["previous_owner"]) == (
        "ana@acme.com",
        "manual",
        None,
    )
    assert body["owner_assigned_at"]
    cleared = client.put(url, json={"owner": None}, headers=writer).json()
    assert (cleared["owner"], cleared["owner_source"], cleared["previous_owner"]) == (
        None,
        None,
        "ana@acme.com",
    )
    assert owners(workspace, [lead_id]) == [(None, None)]
    assert client.put(url, json={"owner": "not an email"}, headers=writer).status_code == 400
    assert (
        client.put("/api/v1/leads/999/owner", json={"owner": None}, headers=writer).status_code
        == 404
    )
    with session_scope(workspace.engine) as session:
        told = [
            m.payload["data"]
            for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    assert [(d["owner"], d["previous_owner"], d["assigned_by"]) for d in told] == [
        ("ana@acme.com", None, "manual"),
        (None, "ana@acme.com", "manual"),
    ]
