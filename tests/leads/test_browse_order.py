"""Pages of the worklist read through the score index and then the leads with no value: every
lead once, in order, whatever the page size, and counts that agree with the pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from leadrank.db.engine import session_scope
from leadrank.ingest.service import ingest_file
from leadrank.leads.browse import LeadFilters, browse_leads, count_leads
from leadrank.leads.grade_overrides import set_override
from leadrank.orm import Lead
from tests.conftest import Workspace


def _walk(workspace: Workspace, *, sort: str, filters: LeadFilters, limit: int) -> list:
    rows, cursor, pages = [], None, 0
    with session_scope(workspace.engine) as session:
        while True:
            page, cursor = browse_leads(
                session,
                filters=filters,
                sort=sort,
                limit=limit,
                cursor=cursor,  # type: ignore[arg-type]
            )
            rows += page
            pages += 1
            assert pages < 1_000
            if cursor is None:
                return rows


@pytest.fixture
def partly_scored(scored: Workspace, tmp_path: Path) -> Workspace:
    """The scored sample, then leads no run has scored yet, one of them graded by a person."""
    path = tmp_path / "late.csv"
    lines = ["first_name,last_name,email,company"]
    lines += [f"Late{i},Arrival,late{i}@newco{i}.example,Newco {i}" for i in range(9)]
    path.write_text("\n".join(lines) + "\n")
    with session_scope(scored.engine) as session:
        ingest_file(session, path=path, source="late")
    with session_scope(scored.engine) as session:
        late = session.scalars(select(Lead.id).where(Lead.email.like("late%"))).all()
        set_override(session, lead_id=late[0], grade="A", reason="met at the fair", by="ann")
    return scored


@pytest.mark.parametrize("sort", ["score", "probability", "company", "activity", "reason"])
def test_pages_hold_every_lead_once_in_order(partly_scored: Workspace, sort: str) -> None:
    with session_scope(partly_scored.engine) as session:
        every = set(session.scalars(select(Lead.id)).all())
    rows = _walk(partly_scored, sort=sort, filters=LeadFilters(), limit=37)
    ids = [row.lead.id for row in rows]
    assert len(ids) == len(set(ids)) == len(every)
    assert set(ids) == every
    if sort in ("score", "probability"):
        values = [getattr(row, sort) for row in rows]
        known = [v for v in values if v is not None]
        assert known == sorted(known, reverse=True)
        tail = values[len(known) :]
        assert all(v is None for v in tail)  # no value: after every real one, by id
        tail_ids = ids[len(known) :]
        assert tail_ids == sorted(tail_ids)
    if sort == "reason":  # alphabetical, any case; leads with no reason last
        reasons = [row.top_reason for row in rows]
        known = [r.lower() for r in reasons if r]
        assert known == sorted(known)
        assert all(not r for r in reasons[len(known) :])
    with session_scope(partly_scored.engine) as session:
        assert count_leads(session, filters=LeadFilters()) == len(every)


def test_filters_agree_between_pages_and_counts(partly_scored: Workspace) -> None:
    for filters in (
        LeadFilters(grades=("A",)),
        LeadFilters(grades=("B", "C"), country="US"),
        LeadFilters(min_score=40, max_score=80),
        LeadFilters(search="late"),
        LeadFilters(company="newco"),
    ):
        for sort in ("score", "probability", "name", "reason"):
            rows = _walk(partly_scored, sort=sort, filters=filters, limit=11)
            with session_scope(partly_scored.engine) as session:
                assert count_leads(session, filters=filters) == len(rows), (filters, sort)
                assert count_leads(session, filters=filters, at_most=3) == min(len(rows), 4)
    graded = _walk(partly_scored, sort="score", filters=LeadFilters(grades=("A",)), limit=5)
    assert any(row.lead.email == "late0@newco0.example" for row in graded)  # a person's A
    assert all(row.grade == "A" for row in graded)
