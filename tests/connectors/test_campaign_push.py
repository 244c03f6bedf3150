"""Leads of a grade or segment into an Instantly campaign, each once, as a user runs it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from leadrank.connectors.instantly.campaign_push import Segment, push
from leadrank.connectors.instantly.client import InstantlyClient
from leadrank.connectors.instantly.fake import FAKE_API_KEY, FakeInstantly
from leadrank.db.engine import session_scope
from leadrank.errors import BadInput
from leadrank.leads.grade_overrides import set_override
from leadrank.orm import CampaignPush
from leadrank.scoring.score_run import score_workspace
from tests.conftest import CliResult, Workspace
from tests.outlets.helpers import ingest_people


def _scored(workspace: Workspace, folder: Path) -> list[int]:
    ids = ingest_people(workspace, folder)
    with session_scope(workspace.engine) as session:
        score_workspace(session)
        for lead_id in ids[:3]:
            set_override(session, lead_id=lead_id, grade="A", reason="hot", by="sam")
    return ids


def test_a_grade_goes_to_the_campaign_once_with_its_scores(
    workspace: Workspace,
    tmp_path: Path,
    fake: FakeInstantly,
    instantly: Callable[..., InstantlyClient],
) -> None:
    ids = _scored(workspace, tmp_path / "in")
    campaign = str(fake.workspace.campaigns[0]["id"])
    client = instantly()
    engine = workspace.engine
    report = push(engine, client, campaign_id=campaign, segment=Segment(grades=("A",)))
    assert sorted(report.leads) == ids[:3] and report.added == 3
    listed = {lead["email"]: lead for lead in client.leads(campaign=campaign)}
    added = listed["ann@acme-corp.com"]
    # Instantly keeps a lead's custom variables as its `payload`.
    assert added["payload"]["leadrank_grade"] == "A" and added["payload"]["leadrank_score"]
    assert added["company_name"] == "Acme Corp" and added["first_name"] == "Ann"
    with session_scope(engine) as session:
        assert len(session.scalars(select(CampaignPush)).all()) == 3
    again = push(engine, client, campaign_id=campaign, segment=Segment(grades=("A",)))
    assert again.leads == [] and again.sent == 0
    with session_scope(engine) as session:
        set_override(session, lead_id=ids[3], grade="A", reason="hot", by="sam")
    third = push(engine, client, campaign_id=campaign, segment=Segment(grades=("A",)))
    assert third.leads == [ids[3]] and third.added == 1


def test_a_segment_must_be_chosen_and_the_campaign_exist(
    workspace: Workspace, tmp_path: Path, instantly: Callable[..., InstantlyClient]
) -> None:
    with pytest.raises(BadInput, match="choose the leads"):
        Segment()
    with pytest.raises(BadInput, match="unknown grade"):
        Segment(grades=("Z",))
    _scored(workspace, tmp_path / "in")
    with pytest.raises(Exception, match="does not exist"):
        push(
            workspace.engine,
            instantly(),
            campaign_id="0196a1f0-0000-7000-8000-000000000000",
            segment=Segment(grades=("A",)),
        )


def test_the_push_command(
    workspace: Workspace,
    tmp_path: Path,
    fake: FakeInstantly,
    instantly_url: str,
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from leadrank.config import get_settings

    _scored(workspace, tmp_path / "in")
    monkeypatch.setenv("LEADRANK_INSTANTLY_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("LEADRANK_INSTANTLY_BASE_URL", instantly_url)
    get_settings.cache_clear()
    campaign = str(fake.workspace.campaigns[1]["id"])
    dry = cli(
        "connectors", "instantly", "push", "--campaign", campaign, "--grade", "A", "--dry-run"
    )
    assert dry.exit_code == 0 and "would send 3 leads" in dry.stdout
    done = cli("connectors", "instantly", "push", "--campaign", campaign, "--grade", "A")
    assert done.exit_code == 0, done.stderr
    assert "3 leads sent, 3 added" in done.stdout
    again = cli("connectors", "instantly", "push", "--campaign", campaign, "--grade", "A")
    assert "0 leads sent" in again.stdout
