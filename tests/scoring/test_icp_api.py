"""`/api/v1/icp`: profiles and their rules over HTTP; every change is a new version."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CliResult
from tests.server import Server

PROFILE = {
    "name": "mid-market",
    "description": "Directors and up at 50-5,000 people",
    "groups": {"person": {"cap": 50}},
    "rules": [
        {
            "field": "seniority",
            "op": "in",
            "value": ["vp", "c_level"],
            "points": 50,
            "group": "person",
        },
        {"field": "employees", "op": "between", "value": [50, 5000], "points": 50},
    ],
    "filters": [{"field": "email_disposable", "op": "neq", "value": True}],
}


def _key(cli: Callable[..., CliResult], role: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + cli("keys", "create", "--role", role).stdout.split()[-1]}


def test_profiles_and_rules(
    cli: Callable[..., CliResult], start_server: Callable[..., Server]
) -> None:
    admin, reader = _key(cli, "admin"), _key(cli, "reader")
    client = start_server().client
    built_in = client.get("/api/v1/icp/active", headers=reader).json()
    assert (built_in["name"], built_in["version"], built_in["active"]) == ("default", None, True)
    assert client.get("/api/v1/icp/profiles", headers=reader).json() == []

    assert client.post("/api/v1/icp/profiles", headers=reader, json=PROFILE).status_code == 403
    saved = client.post("/api/v1/icp/profiles", headers=admin, json=PROFILE)
    assert saved.status_code == 201, saved.text
    first = saved.json()
    assert (first["name"], first["version"], first["active"]) == ("mid-market", 1, False)
    assert first["rules"] == 2 and first["filters"] == 1 and first["most_points"] == 100
    assert first["document"]["rules"][0]["value"] == ["vp", "c_level"]

    activated = client.post("/api/v1/icp/profiles/mid-market/activate", headers=admin).json()
    assert activated["active"] and activated["version"] == 1
    assert client.get("/api/v1/icp/active", headers=reader).json()["version"] == 1

    rule = {"field": "industry", "op": "contains", "value": "software", "points": 20}
    added = client.post("/api/v1/icp/profiles/mid-market/rules", headers=admin, json=rule)
    assert added.status_code == 201, added.text
    # An edit of the active profile is a new version, and stays the one in use.
    assert (added.json()["version"], added.json()["active"], added.json()["rules"]) == (2, True, 3)
    rules = client.get("/api/v1/icp/profiles/mid-market/rules", headers=reader).json()
    assert [r["index"] for r in rules] == [0, 1, 2]
    assert rules[2]["described"] == "industry contains software"
    removed = client.delete("/api/v1/icp/profiles/mid-market/rules/0", headers=admin).json()
    assert removed["version"] == 3 and removed["rules"] == 2
    assert removed["document"]["rules"][0]["field"] == "employees"
    assert (
        client.delete("/api/v1/icp/profiles/mid-market/rules/9", headers=admin).status_code == 404
    )
    versions = client.get("/api/v1/icp/profiles/mid-market/versions", headers=reader).json()
    assert [(v["version"], v["active"]) for v in versions] == [(3, True), (2, False), (1, False)]
    old = client.get("/api/v1/icp/profiles/mid-market", headers=reader, params={"version": 1})
    assert old.json()["rules"] == 2 and old.json()["document"]["rules"][0]["field"] == "seniority"
    listed = client.get("/api/v1/icp/profiles", headers=reader).json()
    assert [(p["name"], p["version"]) for p in listed] == [("mid-market", 3)]

    undeclared = {**PROFILE, "rules": [{**PROFILE["rules"][0], "group": "nowhere"}]}  # type: ignore[dict-item]
    refused = client.post("/api/v1/icp/profiles", headers=admin, json=undeclared)
    assert refused.status_code == 422 and "undeclared groups" in refused.json()["error"]["message"]
    odd_name = client.post(
        "/api/v1/icp/profiles", headers=admin, json={**PROFILE, "name": "Mid Market"}
    )
    assert odd_name.status_code == 400 and "lower-case" in odd_name.json()["error"]["message"]
    bad_rule = client.post(
        "/api/v1/icp/profiles/mid-market/rules",
        headers=admin,
        json={"field": "employees", "op": "between", "value": 5, "points": 1},
    )
    assert bad_rule.status_code == 422 and bad_rule.json()["error"]["path"].startswith("$")
    assert client.get("/api/v1/icp/profiles/nobody", headers=reader).status_code == 404


def test_a_profile_carries_its_engagement_section(
    cli: Callable[..., CliResult], start_server: Callable[..., Server], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    admin = _key(cli, "admin")
    client = start_server().client
    custom = {**PROFILE, "name": "with-demos", "engagement": {"points": {"demo_request": 40}}}
    saved = client.post("/api/v1/icp/profiles", headers=admin, json=custom)
    assert saved.status_code in (200, 201), saved.text
    assert client.post("/api/v1/icp/profiles/with-demos/activate", headers=admin).status_code == 200
    active = client.get("/api/v1/icp/active", headers=admin).json()
    assert active["name"] == "with-demos"
    points = active["document"]["engagement"]["points"]
    assert points["demo_request"] == 40 and points["meeting_booked"] == 30, "over the defaults"
    shown = cli("icp", "show")
    assert shown.exit_code == 0, shown.stderr
    line = next(line for line in shown.stdout.splitlines() if line.startswith("demo_request"))
    assert "+40" in line
    wrong = {**PROFILE, "name": "bad", "engagement": {"window_days": 30, "half_life_days": 9}}
    refused = client.post("/api/v1/icp/profiles", headers=admin, json=wrong)
    assert refused.status_code in (400, 422) and "engagement" in refused.text
