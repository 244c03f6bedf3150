"""Stored ICP profiles: saved as versions, one active, and workspace scoring uses it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from leadrank.db.engine import session_scope
from leadrank.orm.scoring import LeadScore
from leadrank.scoring.repository import latest_run
from tests.conftest import CliResult, Workspace

LEADS = (
    "Email,Job Title,# Employees,Company,Lead Source\n"
    "ann@initech.com,VP of Engineering,201-500,Initech,webinar\n"
    "bob@hooli.com,Intern,1-10,Hooli,ads\n"
)
PROFILE = (
    "name: webinar-vps\n"
    "rules:\n"
    "  - {field: seniority, op: in, value: [vp, c_level], points: 60, reason: A VP or chief}\n"
    "  - {field: employees, op: gte, value: 100, points: 40}\n"
)


def _reasons(workspace: Workspace) -> dict[str, list[str]]:
    with session_scope(workspace.engine) as session:
        run = latest_run(session, stage="rules")
        assert run is not None
        rows = session.scalars(select(LeadScore).where(LeadScore.run_id == run.id)).all()
        return {str(r.lead_id): list(r.reasons["positive"]) for r in rows}


def test_saved_profile_is_versioned_activated_and_used_by_score(
    workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    (tmp_path / "leads.csv").write_text(LEADS)
    (tmp_path / "icp.yaml").write_text(PROFILE)
    assert cli("ingest", str(tmp_path / "leads.csv"), "--source", "crm").exit_code == 0
    assert "no stored profiles" in cli("icp", "list").stdout
    assert "(built-in, active)" in cli("icp", "show").stdout

    saved = cli("icp", "save", str(tmp_path / "icp.yaml"))
    assert saved.exit_code == 0, saved.stderr
    assert "webinar-vps v1 saved" in saved.stdout
    assert cli("score").exit_code == 0
    assert not any("A VP or chief" in r for rs in _reasons(workspace).values() for r in rs)

    again = cli("icp", "save", str(tmp_path / "icp.yaml"), "--activate")
    assert "webinar-vps v2 (active) saved" in again.stdout
    listed = cli("icp", "list").stdout
    assert "webinar-vps" in listed and "v2" in listed and "active" in listed
    assert "(stored v2, active)" in cli("icp", "show").stdout
    assert "(stored v1)" in cli("icp", "show", "--name", "webinar-vps", "--version", "1").stdout
    scored = cli("score")
    assert scored.exit_code == 0, scored.stderr
    reasons = _reasons(workspace)
    assert sum("A VP or chief (+60)" in rs for rs in reasons.values()) == 1

    assert "v1 is active" in cli("icp", "activate", "webinar-vps", "--version", "1").stdout
    missing = cli("icp", "activate", "churners")
    assert missing.exit_code == 1 and "no profile churners" in missing.stderr
    assert "built-in profile is active" in cli("icp", "activate", "--built-in").stdout
    assert cli("score").exit_code == 0
    assert not any("A VP or chief" in r for rs in _reasons(workspace).values() for r in rs)
    # A file named on the command line still wins over what is stored.
    assert cli("score", "--profile", str(tmp_path / "icp.yaml")).exit_code == 0
    assert any("A VP or chief (+60)" in rs for rs in _reasons(workspace).values())
