"""The lead and accounts pages in a real browser: open a lead from the worklist and read why
it scores as it does; give it a grade by hand, rescore it and see the grade stay; open its
account."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from leadrank.db.engine import session_scope
from leadrank.orm.scoring import GradeOverride, LeadScore
from tests.conftest import Workspace
from tests.web.conftest import Site, browser_sign_in

pytestmark = pytest.mark.parametrize("workspace", ["sqlite"], indirect=True)


def test_open_a_lead_from_the_worklist_and_see_its_reasons(
    page: Page, scored: Workspace, site: Site
) -> None:
    browser_sign_in(page, site, "reader")
    first = page.locator("table.worklist tbody td.name a").first
    name = first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(r"/leads/\d+$"))
    expect(page.locator("h1")).to_have_text(name)
    chart = page.locator("figure.reasons-chart svg")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 300  # type: ignore[index]
    expect(chart).to_contain_text("Seniority is C-level or VP")
    expect(page.locator("figure.history-chart svg")).to_be_visible()
    expect(page.locator("#fields + .table-wrap")).to_contain_text("row")
    # A reader reads; the actions are a writer's.
    expect(page.locator(".actions-card")).to_contain_text("a writer or an admin can")
    expect(page.locator("form.override-form")).to_have_count(0)


def test_a_grade_set_by_hand_stays_after_a_rescore(
    page: Page, scored: Workspace, site: Site
) -> None:
    with session_scope(scored.engine) as session:
        lead_id = session.scalar(
            select(LeadScore.lead_id)
            .where(LeadScore.latest)
            .order_by(LeadScore.score.desc(), LeadScore.lead_id)
            .limit(1)
        )
    browser_sign_in(page, site, "writer")
    page.goto(f"{site.url}/leads/{lead_id}")
    header = page.locator(".lead-header [data-grade]")
    expect(header).to_have_text("A")
    expect(page.locator("#history").locator("..")).to_contain_text("1 score")
    page.locator("fieldset.grade-picker label[title='grade C']").click()
    page.fill("textarea[name=reason]", "Budget frozen until next year: call again in Q3")
    page.get_by_role("button", name="Set grade").click()
    expect(page.locator(".notice-ok")).to_contain_text("Grade C set")
    expect(header).to_have_text("C")
    expect(header).to_have_class(re.compile(r"\boverridden\b"))
    expect(page.locator(".override-note")).to_contain_text("Budget frozen until next year")
    # Rescore: the job runs in the server; the page follows it and reloads when it is done.
    page.get_by_role("button", name="Rescore").click()
    expect(page.locator(".notice[role=status]")).to_contain_text("Rescore queued as job")
    expect(page.locator("[data-job-status]")).to_have_text("succeeded", timeout=30_000)
    expect(page.locator("#history").locator("..")).to_contain_text("2 scores")
    # The person's grade stays; the model's keeps updating beside it.
    expect(header).to_have_text("C")
    expect(header).to_have_class(re.compile(r"\boverridden\b"))
    expect(page.locator(".override-note")).to_contain_text("The model’s grade is")
    with session_scope(scored.engine) as session:
        served = session.scalars(
            select(GradeOverride).where(
                GradeOverride.lead_id == lead_id, GradeOverride.cleared_at.is_(None)
            )
        ).all()
    assert [(o.grade, o.set_by) for o in served] == [("C", "writer@example.com")]
    page.locator(".lead-header").scroll_into_view_if_needed()


def test_open_an_account(page: Page, scored: Workspace, site: Site) -> None:
    browser_sign_in(page, site, "reader")
    page.goto(f"{site.url}/accounts")
    rows = page.locator("table.accounts tbody tr")
    expect(rows.first).to_be_visible()
    company = rows.first.locator("td.name a")
    name = company.inner_text().split("\n")[0]
    company.click()
    expect(page).to_have_url(re.compile(r"/accounts/\d+$"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("figure.grades-chart svg")).to_be_visible()
    leads = page.locator("table.company-leads td.name a")
    expect(leads.first).to_be_visible()
    # From the account to one of its leads, and back through the lead's company link.
    lead_name = leads.first.inner_text()
    leads.first.click()
    expect(page.locator("h1")).to_have_text(lead_name)
    page.locator(".lead-header .subtitle a").click()
    expect(page).to_have_url(re.compile(r"/accounts/\d+$"))
    expect(page.locator("h1")).to_have_text(name)


def test_the_accounts_list_shows_one_grade(page: Page, scored: Workspace, site: Site) -> None:
    browser_sign_in(page, site, "reader")
    page.locator("nav.sidebar a", has_text="Accounts").click()
    expect(page).to_have_url(re.compile(r"/accounts$"))
    chips = page.locator("table.accounts tbody td:first-child .grade")
    expect(chips.first).to_be_visible()
    assert len(set(chips.all_inner_texts())) > 1
    page.locator(".grade-tabs a[title='accounts of grade B']").click()
    expect(page).to_have_url(re.compile(r"/accounts\?grade=B$"))
    expect(chips.first).to_have_text("B")
    assert set(chips.all_inner_texts()) == {"B"}
    expect(page.locator(".grade-tabs")).to_contain_text("of grade B")
    page.locator(".grade-tabs a", has_text="All grades").click()
    expect(page).to_have_url(re.compile(r"/accounts$"))
