"""The worklist page over plain HTTP: filters and sorts kept in the URL, pages, export of
selected rows or the whole view, and lead data shown as text."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from leadrank.db.engine import session_scope
from leadrank.orm import Lead
from tests.conftest import Workspace
from tests.web.conftest import Site, csrf_of, load_scored


def _lead_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'name="lead" value="(\d+)"', html)]


def _grades(html: str) -> list[str]:
    return re.findall(r'<span class="grade grade-([a-e])[" ]', html.split("<tbody>", 1)[1])


@pytest.fixture
def hostile(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace with a lead whose name and company are markup, scored."""
    path = tmp_path / "hostile.csv"
    path.write_text(
        "first_name,last_name,email,company,title\n"
        '<script>alert(1)</script>,"<b>Bold</b>",x@evil.example,"<img src=x onerror=alert(2)>",CEO\n'
        "Ada,Lovelace,ada@analytical.example,Analytical Engines,CTO\n"
    )
    return load_scored(workspace, path, source="hostile")


def test_the_worklist_ranks_by_score_and_pages_through(scored: Workspace, site: Site) -> None:
    with site.client("reader") as client:
        first = client.get("/leads?limit=25")
        assert first.status_code == 200
        with session_scope(scored.engine) as session:
            leads = session.scalar(select(func.count()).select_from(Lead))
        assert f"<strong>{leads:,}</strong>" in first.text
        ids = _lead_ids(first.text)
        assert len(ids) == 25
        scores = [float(s) for s in re.findall(r'<meter [^>]*value="([0-9.]+)"', first.text)]
        assert scores == sorted(scores, reverse=True)
        following = re.search(r'href="/leads\?([^"]+)" rel="next"', first.text)
        assert following
        second = client.get("/leads?" + following.group(1).replace("&amp;", "&"))
        assert second.status_code == 200
        more = _lead_ids(second.text)
        assert len(more) == 25 and not set(more) & set(ids)


def test_filters_and_sorts_live_in_the_url(scored: Workspace, site: Site) -> None:
    with site.client("reader") as client:
        only_b = client.get("/leads?grade=B&grade=C&sort=company")
        assert only_b.status_code == 200
        grades = _grades(only_b.text)
        assert grades and set(grades) <= {"b", "c"}
        companies = re.findall(r'<td class="clip" title="([^"]*)">', only_b.text)[::2]
        named = [c.lower() for c in companies if c]
        assert named == sorted(named)
        # The sort links keep the filters; the export form carries the view.
        assert "grade=B&amp;grade=C&amp;sort=score" not in only_b.text
        assert 'href="/leads?grade=B&amp;grade=C&amp;sort=name"' in only_b.text
        searched = client.get("/leads?q=zzzz-no-such-lead", follow_redirects=True)
        assert "No lead matches these filters" in searched.text
        assert client.get("/leads?grade=Z").status_code == 400
        assert client.get("/leads?sort=password").status_code == 400
        assert client.get("/leads?min_score=500").status_code == 400
        blank = client.get("/leads?grade=B&min_score=&q=&created_after=")
        assert blank.status_code == 303 and blank.headers["location"] == "/leads?grade=B"


def test_htmx_asks_for_the_table_alone(scored: Workspace, site: Site) -> None:
    with site.client("reader") as client:
        part = client.get("/leads?grade=A", headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert "<html" not in part.text and "<table" in part.text


def test_export_writes_the_selected_rows_or_the_whole_view(scored: Workspace, site: Site) -> None:
    with site.client("reader") as client:
        page = client.get("/leads?grade=A&grade=B")
        token = csrf_of(page.text)
        picked = _lead_ids(page.text)[:3]
        answer = client.post(
            "/leads/export",
            data={
                "csrf_token": token,
                "format": "csv",
                "lead": [str(i) for i in picked],
                "view_query": "grade=A&grade=B",
            },
        )
        assert answer.status_code == 200
        assert "attachment" in answer.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert sorted(int(r["id"]) for r in rows) == sorted(picked)
        whole = client.post(
            "/leads/export",
            data={"csrf_token": token, "format": "xlsx", "view_query": "grade=A&grade=B"},
        )
        assert whole.status_code == 200
        assert whole.content[:2] == b"PK"  # an XLSX workbook
        assert int(whole.headers["x-rows"]) == int(
            re.search(r"<strong>([\d,]+)</strong>", page.text).group(1).replace(",", "")  # type: ignore[union-attr]
        )
        refused = client.post("/leads/export", data={"format": "csv", "view_query": ""})
        assert refused.status_code == 403


def test_lead_data_is_shown_as_text(hostile: Workspace, site: Site) -> None:
    with site.client("reader") as client:
        page = client.get("/leads")
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text


def test_searched_words_stay_out_of_the_url(scored: Workspace, site: Site) -> None:
    with site.client("reader") as client:
        typed = client.get("/leads?q=Ada+Lovelace&owner=Ann+Smith&grade=A&sort=company")
        assert typed.status_code == 303
        shared = typed.headers["location"]
        assert "Ada" not in shared and "Ann" not in shared and "Lovelace" not in shared
        assert re.fullmatch(r"/leads\?grade=A&view=[\w-]{16}&sort=company", shared), shared
        page = client.get(shared)
        assert 'value="Ada Lovelace"' in page.text and 'value="Ann Smith"' in page.text
        assert "Ada" not in "".join(re.findall(r'href="([^"]*)"', page.text))
        # The same words give the same link; htmx is told the link to show.
        again = client.get("/leads?q=Ada+Lovelace&owner=Ann+Smith&grade=A&sort=company")
        assert again.headers["location"] == shared
        part = client.get(
            "/leads?q=Ada+Lovelace&owner=Ann+Smith&grade=A", headers={"HX-Request": "true"}
        )
        assert "Ada" not in part.headers["hx-push-url"] and "view=" in part.headers["hx-push-url"]
    with site.client("writer") as colleague:  # a shared link opens for another user
        assert 'value="Ada Lovelace"' in colleague.get(shared).text
        assert colleague.get("/leads?view=not-a-real-token").status_code == 404
