"""The review pages in a real browser: deciding duplicates from the keyboard, and changing the
ideal customer profile (add a rule, preview it, save it, put it in use)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from leadrank.db.engine import session_scope
from leadrank.orm import IcpProfile, LeadReview
from tests.conftest import Workspace
from tests.web.conftest import SCREENSHOTS, Site, browser_sign_in

pytestmark = pytest.mark.parametrize("workspace", ["sqlite"], indirect=True)


def _pending(workspace: Workspace) -> int:
    with session_scope(workspace.engine) as session:
        return len(session.scalars(select(LeadReview).where(LeadReview.status == "pending")).all())


def _settled(page: object) -> None:
    """Wait until htmx has swapped the queue in and bound its new forms and links (a key
    pressed before that sends the form the plain way, a full page load)."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expect(page.locator("#queue")).not_to_have_class(re.compile(r"htmx-(settling|swapping)"))


def test_a_writer_decides_duplicates_with_the_keyboard(
    scored: Workspace, site: Site, page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    waiting = _pending(scored)
    assert waiting >= 3, "the sample should queue near-duplicates for review"
    browser_sign_in(page, site, "writer")
    page.goto(f"{site.url}/duplicates")
    count = page.locator('[data-count="people"]')
    expect(count).to_have_text(str(waiting))
    expect(page.locator("table.compare tr.agrees").first).to_be_visible()
    expect(page.locator("[data-probability]")).to_contain_text("%")
    first_pair = page.locator("#pair").get_attribute("data-pair")
    assert first_pair is not None

    page.keyboard.press("s")  # Same: the newer lead merges into the older
    expect(count).to_have_text(str(waiting - 1))
    expect(page.locator("[data-done]")).to_contain_text("Merged lead")
    expect(page.locator("#pair")).not_to_have_attribute("data-pair", first_pair)
    _settled(page)
    second_pair = page.locator("#pair").get_attribute("data-pair")
    assert second_pair is not None

    page.keyboard.press("n")  # Skip: the next pair, nothing decided
    expect(page.locator("#pair")).not_to_have_attribute("data-pair", second_pair)
    expect(count).to_have_text(str(waiting - 1))
    _settled(page)

    page.keyboard.press("d")  # Different: recorded, never offered again
    expect(count).to_have_text(str(waiting - 2))
    expect(page.locator("[data-done]")).to_contain_text("different people")
    assert _pending(scored) == waiting - 2
    low, high = sorted(int(i) for i in first_pair.split("-"))
    with session_scope(scored.engine) as session:
        decided = session.scalar(
            select(LeadReview).where(LeadReview.lead_a == low, LeadReview.lead_b == high)
        )
        assert decided is not None and decided.status == "same"
        assert decided.decided_by == "review:writer@example.com"


def test_an_admin_changes_the_profile_previews_saves_and_activates_it(
    scored: Workspace, site: Site, page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    browser_sign_in(page, site, "admin")
    page.goto(f"{site.url}/icp")
    expect(page.locator("[data-in-use]")).to_have_text("built-in default")
    rules = page.locator("#rule-rows tr")
    before = rules.count()
    industry = rules.filter(has=page.locator('input[name=rule_field][value="industry"]'))
    industry.locator("button[title='Remove this rule']").click()
    expect(rules).to_have_count(before - 1)
    page.click("text=+ Add a rule")
    expect(rules).to_have_count(before)
    row = rules.last
    row.locator("input[name=rule_field]").fill("country_code")
    row.locator("select[name=rule_op]").select_option("in")
    row.locator("input[name=rule_value]").fill("US, GB")
    row.locator("input[name=rule_points]").fill("20")
    row.locator("input[name=rule_reason]").fill("Based in the US or the UK")

    # The same edits as YAML, and back to rows: nothing is lost on the way.
    page.click("#editor .tab:has-text('YAML')")
    expect(page.locator("#editor textarea[name=yaml_text]")).to_contain_text("country_code")
    page.click("#editor .tab:has-text('Form')")
    expect(page.locator("#rule-rows input[name=rule_value]").last).to_have_value("US, GB")

    page.click("[data-preview]")
    expect(page.locator("#preview figure.chart svg")).to_be_visible()
    expect(page.locator("#preview table.preview-leads tbody tr")).to_have_count(10)
    expect(page.locator("[data-preview-scope]")).to_contain_text("All 3")
    assert int(page.locator("#preview [data-changed]").inner_text().replace(",", "")) > 0
    page.locator("#preview").scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "icp_preview.png"), full_page=True)
    with session_scope(scored.engine) as session:
        assert session.scalars(select(IcpProfile)).first() is None  # a preview saves nothing

    page.click("text=Save as a new version")
    page.wait_for_url(re.compile(r".*/icp\?open=default:1&saved=1"))
    expect(page.locator(".notice-ok")).to_contain_text("Saved default v1")
    page.click(".notice-ok button:has-text('Use it for scoring')")
    expect(page.locator("[data-in-use]")).to_have_text("default v1")
    expect(page.locator("table.versions")).to_contain_text("in use")
    page.click("text=Compare versions")
    expect(page.locator("[data-added]")).to_have_text("1")
    expect(page.locator("[data-removed]")).to_have_text("1")
    expect(page.locator("tr.change-added").first).to_contain_text("Based in the US or the UK")
    with session_scope(scored.engine) as session:
        stored = session.scalars(select(IcpProfile)).one()
        assert stored.active and stored.created_by == "admin@example.com"
        assert [r["field"] for r in stored.document["rules"]].count("industry") == 0
        added = stored.document["rules"][-1]
        assert (added["field"], added["op"], added["value"], added["points"]) == (
            "country_code",
            "in",
            ["US", "GB"],
            20.0,
        )
