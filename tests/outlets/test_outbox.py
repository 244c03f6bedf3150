"""Changes are written to the outbox with the change, for whoever listens, and for no one
else: imports, scores, grade overrides, merges and promotions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.leads.grade_overrides import clear_override, set_override
from leadrank.leads.merge_pair import merge_leads
from leadrank.orm.outlets import Delivery, OutboxMessage
from leadrank.scoring.score_run import score_workspace
from tests.conftest import Workspace
from tests.outlets.helpers import ingest_people, subscribe


def _messages(workspace: Workspace) -> list[tuple[str, str | None, dict]]:
    with session_scope(workspace.engine) as session:
        rows = session.execute(
            select(OutboxMessage.event_type, OutboxMessage.key, OutboxMessage.payload).order_by(
                OutboxMessage.id
            )
        )
        return [(kind, key, payload) for kind, key, payload in rows]


def test_nothing_is_written_when_no_one_listens(workspace: Workspace, tmp_path: Path) -> None:
    ingest_people(workspace, tmp_path / "in")
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    assert _messages(workspace) == []


def test_an_import_tells_of_its_new_leads_and_its_end(
    workspace: Workspace, settings: Settings, tmp_path: Path
) -> None:
    subscribe(workspace, settings, "http://127.0.0.1:9/hook", "lead.created", "import.finished")
    ids = ingest_people(workspace, tmp_path / "in")
    told = _messages(workspace)
    assert [kind for kind, _, _ in told] == ["lead.created"] * 5 + ["import.finished"]
    first = told[0][2]
    assert first["type"] == "lead.created" and first["timestamp"].endswith("Z")
    assert first["data"]["lead_id"] == ids[0] and first["data"]["email"] == "ann@acme-corp.com"
    assert first["data"]["name"] == "Ann Lee" and first["data"]["company"] == "Acme Corp"
    assert told[0][1] == f"lead:{ids[0]}"
    assert told[-1][2]["data"]["leads_created"] == 5
    # The same people again: no lead is new, the import still ends.
    ingest_people(workspace, tmp_path / "again")
    assert [kind for kind, _, _ in _messages(workspace)][6:] == ["import.finished"]
    with session_scope(workspace.engine) as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 7


def test_a_scoring_run_tells_grades_that_moved_and_an_override_holds_the_grade(
    workspace: Workspace, settings: Settings, tmp_path: Path
) -> None:
    ids = ingest_people(workspace, tmp_path / "in")
    subscribe(workspace, settings, "http://127.0.0.1:9/hook", "lead.grade_changed", "lead.scored")
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    told = _messages(workspace)
    scored = [payload["data"] for kind, _, payload in told if kind == "lead.scored"]
    changed = [payload["data"] for kind, _, payload in told if kind == "lead.grade_changed"]
    assert sorted(data["lead_id"] for data in scored) == ids
    assert len(changed) == 5 and all(data["previous_grade"] is None for data in changed)
    assert all(data["grade"] in "ABCDE" and data["model_version"] == "rules" for data in changed)
    # Per lead: scored, then its grade change.
    kinds_of_first = [kind for kind, key, _ in told if key == f"lead:{ids[0]}"]
    assert kinds_of_first == ["lead.scored", "lead.grade_changed"]

    computed = {data["lead_id"]: data["grade"] for data in changed}
    other = "A" if computed[ids[0]] != "A" else "E"
    with session_scope(workspace.engine) as session:
        set_override(session, lead_id=ids[0], grade=other, reason="met them", by="sam")
    override = _messages(workspace)[-1][2]["data"]
    assert override["grade"] == other and override["previous_grade"] == computed[ids[0]]
    assert override["override"]["reason"] == "met them"

    before = len(_messages(workspace))
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    again = _messages(workspace)[before:]
    # Same scores: no grade moved, the override held its lead's grade; every lead was scored.
    assert [kind for kind, _, _ in again] == ["lead.scored"] * 5
    held = next(p["data"] for _, key, p in again if key == f"lead:{ids[0]}")
    assert held["grade"] == other and held["computed_grade"] == computed[ids[0]]

    with session_scope(workspace.engine) as session:
        clear_override(session, lead_id=ids[0], by="sam")
    cleared = _messages(workspace)[-1][2]["data"]
    assert cleared["grade"] == computed[ids[0]] and cleared["previous_grade"] == other
    assert cleared["override"] is None


def test_a_merge_tells_the_lead_that_remains(
    workspace: Workspace, settings: Settings, tmp_path: Path
) -> None:
    ids = ingest_people(workspace, tmp_path / "in")
    subscribe(workspace, settings, "http://127.0.0.1:9/hook", "lead.merged")
    with session_scope(workspace.engine) as session:
        merge_leads(session, keep=ids[0], absorb=ids[1], score=0.9, by="sam", now=datetime.now(UTC))
    (told,) = _messages(workspace)
    assert told[0] == "lead.merged" and told[1] == f"lead:{ids[0]}"
    assert told[2]["data"]["merged_lead_ids"] == [ids[1]]
