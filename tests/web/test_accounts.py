"""The accounts pages over plain HTTP: companies by account score a page at a time, of one
grade when asked, and one company with its leads by grade and the chance one converts."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select, update

from leadrank.db.engine import session_scope
from leadrank.orm import Company, CompanyAlias, Lead
from leadrank.orm.scoring import AccountScore
from tests.conftest import Workspace
from tests.web.conftest import Site


def _company_ids(html: str) -> list[int]:
    body = html.split("<tbody>", 1)[1]
    return [int(n) for n in re.findall(r'<td class="name"><a href="/accounts/(\d+)"', body)]


def _accounts(workspace: Workspace) -> list[AccountScore]:
    with session_scope(workspace.engine) as session:
        rows = session.scalars(
            select(AccountScore)
            .where(AccountScore.latest)
            .order_by(AccountScore.score.desc(), AccountScore.company_id)
        ).all()
        session.expunge_all()
        return list(rows)


def test_accounts_are_ranked_by_score_a_page_at_a_time(
    scored: Workspace, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _accounts(scored)
    assert len(expected) > 20
    # Pages of 20 here (the server runs in this process), 50 in use.
    monkeypatch.setattr("leadrank.web.account_pages.PAGE_SIZE", 20)
    with site.client("reader") as client:
        first = client.get("/accounts")
        assert first.status_code == 200
        assert f"<strong>{len(expected)}</strong> accounts" in first.text
        assert _company_ids(first.text) == [a.company_id for a in expected[:20]]
        scores = [float(s) for s in re.findall(r'<meter [^>]*value="([0-9.]+)"', first.text)]
        assert scores == sorted(scores, reverse=True)
        nxt = re.search(r'href="/accounts\?page=2" rel="next"', first.text)
        assert nxt and "Page 1 of " in first.text
        second = client.get("/accounts?page=2")
        assert _company_ids(second.text) == [a.company_id for a in expected[20:40]]
        assert 'rel="prev"' in second.text
        # Each row counts its leads by grade, as the account score's run left them.
        top = expected[0]
        row = first.text.split(f'href="/accounts/{top.company_id}"', 1)[1].split("</tr>", 1)[0]
        for grade, count in top.reasons["grades"].items():
            if count:
                assert f'title="{count} lead{"s" if count != 1 else ""} of grade {grade}"' in row
        assert f'href="/leads/{top.best_lead_id}"' in row
        # One grade only.
        only_b = client.get("/accounts?grade=b")
        chips = re.findall(r'<td><span class="grade grade-([a-e])', only_b.text)
        assert chips and set(chips) == {"b"}
        assert len(chips) == sum(1 for a in expected if a.grade == "B")
        assert client.get("/accounts?grade=Z").status_code == 400
        assert client.get("/accounts?page=0").status_code == 400
        far = client.get("/accounts?page=999")
        assert far.status_code == 200 and "No account on this page" in far.text


def test_an_account_shows_its_leads_by_grade_and_the_chance_one_converts(
    scored: Workspace, site: Site
) -> None:
    top = _accounts(scored)[0]
    with session_scope(scored.engine) as session:
        company = session.get(Company, top.company_id)
        assert company is not None
        name = company.name
        leads = session.scalars(select(Lead.id).where(Lead.company_id == top.company_id)).all()
    with site.client("reader") as client:
        page = client.get(f"/accounts/{top.company_id}")
        assert page.status_code == 200
        html = page.text
        assert f"<h1>{escape(name)}</h1>" in html
        assert f"data-grade>{top.grade}</span>" in html
        linked = {int(n) for n in re.findall(r'<td class="name clip"><a href="/leads/(\d+)"', html)}
        assert linked == set(leads)
        # Grouped by grade, best grade first, with the chart of the mix.
        groups = re.findall(r"</span> Grade ([A-E]) <span", html)
        assert groups == sorted(groups) and groups
        for grade in groups:
            assert (
                f'Grade {grade} <span class="muted count">{top.reasons["grades"][grade]}</span>'
                in html
            )
        assert re.search(r'<figure class="chart grades-chart"><svg', html)
        # Scored by the rules, there is no chance to tell; a model's probability shows.
        assert "data-chance>—</div>" in html
        with session_scope(scored.engine) as session:
            session.execute(
                update(AccountScore).where(AccountScore.id == top.id).values(probability=0.4213)
            )
        again = client.get(f"/accounts/{top.company_id}").text
        assert "data-chance>42.1%</div>" in again
        listed = client.get("/accounts").text
        row = listed.split(f'href="/accounts/{top.company_id}"', 1)[1].split("</tr>", 1)[0]
        assert "42%" in row


def test_unknown_and_folded_companies_are_not_found(scored: Workspace, site: Site) -> None:
    with session_scope(scored.engine) as session:
        kept = session.scalar(select(func.min(Company.id)))
        session.add(
            CompanyAlias(
                match_key="name:folded example",
                company_id=kept,
                folded_id=987_650,
                created_at=session.scalar(select(func.max(Company.created_at))),
            )
        )
    with site.client("reader") as client:
        missing = client.get("/accounts/987654")
        assert missing.status_code == 404 and "no company 987654" in missing.text
        folded = client.get("/accounts/987650")
        assert folded.status_code == 404
        assert f"company 987650 was merged into company {kept}" in folded.text
        assert client.get("/accounts/0").status_code == 400


def test_the_accounts_pages_need_sign_in(scored: Workspace, site: Site) -> None:
    top = _accounts(scored)[0]
    with site.client() as anonymous:
        for path in ("/accounts", f"/accounts/{top.company_id}"):
            answer = anonymous.get(path, follow_redirects=False)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login?next=")


def test_an_empty_workspace_says_where_accounts_come_from(workspace: Workspace, site: Site) -> None:
    with site.client("reader") as client:
        page = client.get("/accounts")
    assert page.status_code == 200
    assert "No account scores yet" in page.text
