"""`leadrank routing set/show/run/explain` as a user runs them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from leadrank.db.engine import session_scope
from leadrank.jobs.defer import defer
from leadrank.orm import Job
from tests.conftest import CliResult, Workspace
from tests.routing.helpers import add_people, owners, person

RULES = """\
owners:
  - {email: ana@acme.com, name: Ana, capacity: 1}
  - {email: ben@acme.com, name: Ben}
teams:
  emea: [ana@acme.com, ben@acme.com]
rules:
  - name: emea
    when: {region: [EMEA]}
    assign: {team: emea}
fallback: ben@acme.com
"""


def test_set_show_run_and_explain(
    workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    ids = add_people(
        workspace, tmp_path / "in", person("dirk", "DE"), person("flo", "FR"), person("ned", "US")
    )
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    stored = cli("routing", "set", str(path))
    assert stored.exit_code == 0, stored.stderr
    assert (
        "routing rules v1 active: 1 rules, 2 owners, 1 teams, fallback ben@acme.com"
        in stored.stdout
    )
    shown = cli("routing", "show")
    assert shown.stdout.startswith("# routing rules v1, active") and RULES.strip() in shown.stdout

    dry = cli("routing", "run", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "dry run: would route 3 leads by rules v1" in dry.stdout and "3 assigned" in dry.stdout
    assert owners(workspace, ids) == [(None, None)] * 3

    ran = cli("routing", "run")
    assert ran.exit_code == 0, ran.stderr
    lines = ran.stdout.splitlines()
    ana = next(line for line in lines if line.startswith("ana@acme.com"))
    assert ana.split()[1:] == ["Ana", "0", "+1", "1", "1", "full"]
    assert any(line.split() == ["fallback", "1"] for line in lines)
    assert [owner for owner, _ in owners(workspace, ids)] == [
        "ana@acme.com",
        "ben@acme.com",
        "ben@acme.com",
    ]
    assert "routed 0 leads" in cli("routing", "run", "--lead", "999").stdout

    told = cli("routing", "explain", str(ids[2]))
    assert told.exit_code == 0, told.stderr
    assert f"lead {ids[2]}: owner ben@acme.com (routing:fallback); rules v1" in told.stdout
    assert "no  emea -> team emea: region NA is not one of EMEA" in told.stdout
    assert "without an owner: routing now gets ben@acme.com (by fallback)" in told.stdout
    assert cli("routing", "explain", "999").exit_code != 0


def test_bad_rules_give_one_clear_line(
    workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    assert "no routing rules yet" in cli("routing", "show").stdout
    refused = cli("routing", "run")
    assert refused.exit_code == 1 and "no routing rules yet" in refused.stderr
    path = tmp_path / "rules.yaml"
    path.write_text(
        RULES.replace("emea: [ana@acme.com, ben@acme.com]", "emea: [ana@acme.com, zed@acme.com]")
    )
    bad = cli("routing", "set", str(path))
    assert bad.exit_code == 1
    assert (
        bad.stderr.strip()
        == "error: rules.yaml: line 5: team emea: zed@acme.com is not among the owners"
    )
    path.write_text(RULES.replace("{region: [EMEA]}", "{region: [EMEA]"))
    broken = cli("routing", "set", str(path)).stderr.strip()
    assert broken.startswith("error: rules.yaml: line ") and "not valid YAML" in broken
    assert "\n" not in broken
    assert cli("routing", "set", str(tmp_path / "missing.yaml")).exit_code == 1


def test_the_route_leads_job(
    workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    ids = add_people(workspace, tmp_path / "in", person("dirk", "DE"), person("flo", "FR"))
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    assert cli("routing", "set", str(path)).exit_code == 0
    with session_scope(workspace.engine) as session:
        job = defer(session, task="route_leads", arguments={"lead_ids": [ids[1]]})
        job_id = job.id
    assert cli("worker", "--exit-when-idle").exit_code == 0
    with session_scope(workspace.engine) as session:
        done = session.get(Job, job_id)
        assert done is not None and done.status == "succeeded", done.error if done else None
        assert done.result["assigned"] == 1 and done.result["rules"] == {"emea": 1}
    # (On PostgreSQL the worker's schedules may rescore meanwhile, and routing follows a
    # rescore: the other lead may get an owner too.)
    found = owners(workspace, ids)
    assert found[1] == ("ana@acme.com", "routing:emea")
    if workspace.backend == "sqlite":  # no schedules: only the lead the job named
        assert found[0] == (None, None)
