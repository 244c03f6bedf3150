"""A lead's score history in its detail: the newest entries only (20 unless asked for more or
fewer), and how many there are in all, through the API and `leadrank leads show`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from leadrank.db.engine import session_scope
from leadrank.orm import Lead
from leadrank.scoring.score_run import score_workspace
from tests.conftest import CliResult, Workspace
from tests.server import Server

RESCORES = 22


@pytest.fixture
def busy(scored: Workspace) -> tuple[int, int]:
    """A lead rescored RESCORES times after the whole run (23 scores in all), and one lead
    scored once."""
    with session_scope(scored.engine) as session:
        busy, calm = session.scalars(select(Lead.id).order_by(Lead.id).limit(2)).all()
        for _ in range(RESCORES):
            score_workspace(session, lead_ids=[busy])
    return busy, calm


def test_the_detail_gives_the_newest_scores_and_counts_them_all(
    scored: Workspace, api: Server, busy: tuple[int, int]
) -> None:
    lead, calm = busy
    detail = api.client.get(f"/api/v1/leads/{lead}").json()
    assert detail["scores_total"] == RESCORES + 1 and len(detail["scores"]) == 20
    runs = [entry["run_id"] for entry in detail["scores"]]
    assert runs == sorted(runs, reverse=True)  # the newest first
    listed = api.client.get("/api/v1/leads", params={"limit": 500}).json()["items"]
    served = next(item for item in listed if item["id"] == lead)
    assert detail["scores"][0]["score"] == served["score"] == detail["score"]
    assert detail["scored_at"] == served["scored_at"] == detail["scores"][0]["scored_at"]

    fewer = api.client.get(f"/api/v1/leads/{lead}", params={"scores_limit": 5}).json()
    assert fewer["scores"] == detail["scores"][:5] and fewer["scores_total"] == RESCORES + 1
    every = api.client.get(f"/api/v1/leads/{lead}", params={"scores_limit": 500}).json()
    assert len(every["scores"]) == RESCORES + 1
    once = api.client.get(f"/api/v1/leads/{calm}").json()
    assert once["scores_total"] == 1 and len(once["scores"]) == 1
    for wrong in (0, 501, "many"):
        answer = api.client.get(f"/api/v1/leads/{lead}", params={"scores_limit": wrong})
        assert answer.status_code == 422 and answer.json()["error"]["path"] == "$.scores_limit"


def test_leads_show_prints_the_newest_scores_and_what_it_leaves_out(
    scored: Workspace, cli: Callable[..., CliResult], busy: tuple[int, int]
) -> None:
    lead, calm = busy
    shown = cli("leads", "show", str(lead))
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.count("  earlier ") == 3  # the score and the three before it
    assert f"({RESCORES + 1 - 4} earlier scores; --scores N shows more)" in shown.stdout
    everything = cli("leads", "show", str(lead), "--scores", "30")
    assert everything.stdout.count("  earlier ") == RESCORES
    assert "earlier scores;" not in everything.stdout
    assert "earlier scores;" not in cli("leads", "show", str(calm)).stdout
