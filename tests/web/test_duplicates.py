"""`/duplicates` over plain HTTP: sign-in, roles and form tokens; lead and company pairs
decided from the page as `leadrank leads review` decides them; values shown as text."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from leadrank.db.engine import session_scope
from leadrank.ingest.service import ingest_file
from leadrank.orm import Company, Lead, LeadMerge, LeadReview
from tests.conftest import Workspace, ingest_sample
from tests.web.conftest import Site, csrf_of

# Two lists naming one company in two countries: the pair waits for a person (see
# tests/leads/test_company_names.py).
FIRST = """email,first_name,last_name,company,country
ann@akzo-mail.example,Ann,Lee,Akzo Nobel N.V.,NL
bob@bw-mail.example,Bob,Ray,Brightwave Analytics Inc.,US
"""
ABROAD = """email,first_name,last_name,company,country
gus@other.example,Gus,Qi,Akzo Nobel B.V.,FR
"""


@pytest.fixture
def queued(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace of a 150-person sample whose near-duplicates wait for review (no scores:
    the queue does not need them)."""
    ingest_sample(workspace, tmp_path / "sample", leads=150, seed=5)
    return workspace


def _pending(workspace: Workspace) -> int:
    with session_scope(workspace.engine) as session:
        count = session.scalar(
            select(func.count()).select_from(LeadReview).where(LeadReview.status == "pending")
        )
    return int(count or 0)


def _pair(html: str) -> tuple[int, int]:
    found = re.search(r'data-pair="(\d+)-(\d+)"', html)
    assert found, "the page shows no pair"
    return int(found.group(1)), int(found.group(2))


def _decision(html: str, decision: str, **changes: str) -> dict[str, str]:
    first, second = _pair(html)
    return {
        "csrf_token": csrf_of(html),
        "kind": "people",
        "first": str(first),
        "second": str(second),
        "decision": decision,
        "at": "0",
        **changes,
    }


def test_the_queue_needs_a_signed_in_user(site: Site) -> None:
    with site.client() as client:
        answer = client.get("/duplicates?kind=companies")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2Fduplicates%3Fkind%3Dcompanies"
        refused = client.post(
            "/duplicates/decide",
            data={"kind": "people", "first": "1", "second": "2", "decision": "same"},
        )
        assert refused.status_code == 401


def test_a_reader_sees_the_queue_but_cannot_decide(queued: Workspace, site: Site) -> None:
    waiting, merges = _pending(queued), _merges(queued)
    assert waiting > 1
    with site.client("reader") as client:
        page = client.get("/duplicates")
        assert page.status_code == 200
        assert f"Pair 1 of {waiting}" in page.text
        assert 'class="compare pair-compare"' in page.text and "Match probability" in page.text
        assert 'data-shortcut="s"' not in page.text and "/duplicates/decide" not in page.text
        assert "Only writers and admins decide" in page.text
        refused = client.post("/duplicates/decide", data=_decision(page.text, "same"))
        assert refused.status_code == 403
    assert (_pending(queued), _merges(queued)) == (waiting, merges)


def _merges(workspace: Workspace) -> int:
    with session_scope(workspace.engine) as session:
        return int(session.scalar(select(func.count()).select_from(LeadMerge)) or 0)


def test_a_decision_without_the_form_token_is_refused(queued: Workspace, site: Site) -> None:
    waiting, merges = _pending(queued), _merges(queued)
    with site.client("writer") as client:
        page = client.get("/duplicates")
        sent = _decision(page.text, "same")
        del sent["csrf_token"]
        assert client.post("/duplicates/decide", data=sent).status_code == 403
        wrong = {**sent, "csrf_token": "not-the-token"}
        assert client.post("/duplicates/decide", data=wrong).status_code == 403
    assert (_pending(queued), _merges(queued)) == (waiting, merges)


def test_a_writer_merges_one_pair_and_keeps_another_apart(queued: Workspace, site: Site) -> None:
    waiting = _pending(queued)
    with site.client("writer") as client:
        page = client.get("/duplicates")
        assert 'data-shortcut="s"' in page.text and 'data-shortcut="d"' in page.text
        assert 'data-shortcut="n"' in page.text  # skip to the next pair
        assert re.search(r'<tr class="agrees">', page.text)
        kept, merged = _pair(page.text)
        # A plain form: the next pair by a redirect.
        answer = client.post("/duplicates/decide", data=_decision(page.text, "same"))
        assert answer.status_code == 303
        assert answer.headers["location"] == "/duplicates?kind=people&at=0"
        after = client.get(answer.headers["location"])
        assert f"Pair 1 of {waiting - 1}" in after.text
        assert _pair(after.text) != (kept, merged)
        # From htmx: the queue's part of the page, with what was done.
        apart = _pair(after.text)
        swapped = client.post(
            "/duplicates/decide",
            data=_decision(after.text, "different"),
            headers={"HX-Request": "true"},
        )
        assert swapped.status_code == 200
        assert "<html" not in swapped.text and 'id="pair"' in swapped.text
        assert f"Recorded: leads {apart[0]} and {apart[1]} are different people." in swapped.text
        assert f'data-count="people">{waiting - 2}<' in swapped.text
    assert _pending(queued) == waiting - 2
    with session_scope(queued.engine) as session:
        assert session.get(Lead, merged) is None  # folded into the older lead
        merge = session.scalars(select(LeadMerge).where(LeadMerge.merged_lead_id == merged)).one()
        assert merge.kept_lead_id == kept
        assert merge.decided_by == "review:writer@example.com"
        review = session.scalar(
            select(LeadReview).where(LeadReview.lead_a == apart[0], LeadReview.lead_b == apart[1])
        )
        assert review is not None and review.status == "different"


def test_company_pairs_wait_in_their_own_tab(queued: Workspace, site: Site, tmp_path: Path) -> None:
    for number, text in enumerate((FIRST, ABROAD)):
        path = tmp_path / f"companies{number}.csv"
        path.write_text(text)
        with session_scope(queued.engine) as session:
            ingest_file(session, path=path, source=f"list{number}")
    with session_scope(queued.engine) as session:
        stored, abroad = sorted(
            session.scalars(select(Company.id).where(Company.name.like("Akzo Nobel%")))
        )
    with site.client("admin") as client:
        page = client.get("/duplicates?kind=companies")
        assert page.status_code == 200
        assert 'data-count="companies">1<' in page.text
        assert f'data-pair="{stored}-{abroad}"' in page.text
        assert "country differs (NL, FR)" in page.text
        assert "Is this one organisation?" in page.text
        assert f'href="/accounts/{stored}"' in page.text
        answer = client.post(
            "/duplicates/decide",
            data=_decision(page.text, "same", kind="companies"),
            headers={"HX-Request": "true"},
        )
        assert answer.status_code == 200
        assert f"Merged company {abroad} into company {stored}" in answer.text
        assert "No company pairs wait for a decision" in answer.text
    with session_scope(queued.engine) as session:
        assert session.get(Company, abroad) is None
        moved = session.scalar(select(Lead).where(Lead.email == "gus@other.example"))
        assert moved is not None and moved.company_id == stored


def test_values_from_lead_files_show_as_text(queued: Workspace, site: Site) -> None:
    with site.client("writer") as client:
        first, _ = _pair(client.get("/duplicates").text)
        with session_scope(queued.engine) as session:
            lead = session.get(Lead, first)
            assert lead is not None
            lead.job_title = "<script>alert(1)</script>"
        page = client.get("/duplicates")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text
    _assert_no_inline_code(page)


def _assert_no_inline_code(page: httpx.Response) -> None:
    """The page keeps to its Content-Security-Policy: no inline scripts, styles or handlers."""
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert not re.search(r"""\sstyle=|<style|\son[a-z]+=|hx-on""", page.text)
