"""The admin pages in a real browser: an API key made, seen once and revoked; a user made with
a password shown once; the jobs list refreshing itself while a job waits, and a failed one
run again; the providers' cards. Each test leaves a screenshot of its last page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from leadrank.config import Settings
from leadrank.jobs.runner import JobRunner
from tests.conftest import Workspace
from tests.jobs.uploads import queue_file, stored_job
from tests.server import Server
from tests.web.conftest import SCREENSHOTS, Site, browser_sign_in
from tests.web.test_jobs import GOOD, enrich_with_faults, run_two_imports

SQLITE = pytest.mark.parametrize("workspace", ["sqlite"], indirect=True)


def _accept_confirms(page: object) -> list[str]:
    """Say yes to every data-confirm question; the questions asked."""
    from playwright.sync_api import Dialog, Page

    assert isinstance(page, Page)
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return asked


def _snapshot(page: object, name: str) -> None:
    """A screenshot of the page as it is now, beside the one the fixture takes at the end."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@SQLITE
def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(page: object, site: Site) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    asked = _accept_confirms(page)
    browser_sign_in(page, site, "admin")
    page.click("nav.sidebar >> text=API keys")
    expect(page.locator("h1")).to_have_text("API keys")
    expect(page.locator(".empty")).to_contain_text("No API keys yet")
    page.fill("#new-key input[name=name]", "Website forms")
    page.check("#new-key input[name=role][value=scorer]")
    page.fill("#new-key input[name=requests_per_minute]", "600")
    page.click("#new-key button[type=submit]")
    key = page.locator("[data-new-key]").inner_text().strip()
    assert re.fullmatch(r"lr_[0-9a-f]{8}_\S+", key)
    assert page.url.removeprefix(site.url) == "/settings/keys"  # never in the URL
    _snapshot(page, "settings_keys_new_key")
    row = page.locator("tr", has_text="Website forms")
    expect(row).to_contain_text("scorer")
    expect(row).to_contain_text("600")
    # A second key, so the list shows one active beside the revoked one.
    page.fill("#new-key input[name=name]", "Nightly export")
    page.check("#new-key input[name=role][value=reader]")
    page.click("#new-key button[type=submit]")
    expect(page.locator("[data-new-key]")).to_be_visible()
    page.goto(f"{site.url}/settings/keys")
    assert key not in page.content()  # shown once, never again
    expect(page.locator("[data-new-key]")).to_have_count(0)
    page.locator("tr", has_text="Website forms").locator("button", has_text="Revoke").click()
    page.wait_for_url(re.compile(r".*/settings/keys\?revoked=.*"))
    assert asked and "Website forms" in asked[0]
    expect(page.locator(".notice-ok")).to_contain_text("is revoked")
    expect(page.locator("tr", has_text="Website forms")).to_contain_text("revoked")
    expect(page.locator("tr", has_text="Nightly export")).to_contain_text("active")


@SQLITE
def test_an_admin_adds_users(page: object, site: Site) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    browser_sign_in(page, site, "admin")
    page.click("nav.sidebar >> text=Users")
    expect(page.locator("h1")).to_have_text("Users")
    page.fill("#new-user input[name=email]", "dana@example.com")
    page.check("#new-user input[name=role][value=writer]")
    page.fill("#new-user input[name=password]", "short")
    page.click("#new-user button:has-text('Create user')")
    # The browser holds the form back: the password is shorter than the rule.
    assert page.url.endswith("/settings/users")
    page.fill("#new-user input[name=password]", "a long enough password")
    page.click("#new-user button:has-text('Create user')")
    expect(page.locator(".notice-ok")).to_contain_text("dana@example.com can sign in now")
    page.fill("#new-user input[name=email]", "eli@example.com")
    page.check("#new-user input[name=role][value=reader]")
    page.click("#new-user button:has-text('random password')")
    password = page.locator("[data-new-password]").inner_text().strip()
    assert len(password) >= 12
    expect(page.locator("tr", has_text="eli@example.com")).to_contain_text("reader")
    expect(page.locator("tr", has_text="dana@example.com")).to_contain_text("writer")
    expect(page.locator("tr", has_text="admin@example.com")).to_contain_text("you")


@SQLITE
def test_the_jobs_list_follows_a_job_and_a_failed_one_runs_again(
    page: object,
    workspace: Workspace,
    users: dict[str, str],
    start_server: Callable[..., Server],
    tmp_path: Path,
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    asked = _accept_confirms(page)
    _, bad = run_two_imports(workspace, tmp_path)
    waiting = queue_file(workspace, tmp_path, GOOD.replace(b"ann", b"bea"), "more.csv")
    site = Site(start_server(run_jobs=False, data_dir=tmp_path))
    browser_sign_in(page, site, "admin")
    page.click("nav.sidebar >> text=Jobs")
    expect(page.locator(f"#job-{waiting} .pill")).to_have_text("queued")
    expect(page.locator(".live")).to_be_visible()
    # The job runs elsewhere; the list shows it without a reload.
    settings = Settings(
        database_url=workspace.url, data_dir=tmp_path, auto_enrich=False, auto_score=False
    )
    JobRunner(workspace.engine, settings).run_until_idle()
    expect(page.locator(f"#job-{waiting} .pill")).to_have_text("succeeded", timeout=12_000)
    expect(page.locator(".live")).to_have_count(0)
    failed = page.locator(f"#job-{bad}")
    failed.locator("details.error summary").click()
    expect(failed.locator("details.error pre")).to_contain_text("no event type column")
    _snapshot(page, "jobs_failed_job_open")
    failed.locator("button", has_text="Retry").click()
    page.wait_for_url(re.compile(rf".*/jobs\?retried={bad}"))
    assert asked and f"job {bad}" in asked[0].lower()
    expect(page.locator(".notice-ok")).to_contain_text(f"Job {bad} is queued again")
    expect(page.locator(f"#job-{bad} .pill")).to_have_text("queued")
    assert stored_job(workspace, bad).status == "queued"


@SQLITE
def test_the_providers_page(
    page: object,
    workspace: Workspace,
    users: dict[str, str],
    start_server: Callable[..., Server],
    tmp_path: Path,
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    enrich_with_faults(workspace, tmp_path)
    site = Site(start_server(run_jobs=False, enrichment_daily_credits={"pdl": 10}))
    browser_sign_in(page, site, "reader")
    page.click("nav.sidebar >> text=Providers")
    expect(page.locator("article.provider")).to_have_count(5)
    expect(page.locator("#provider-apollo .provider-head .pill")).to_have_text("open")
    expect(page.locator("#provider-pdl .budget")).to_contain_text("8.0 of 10")
    page.locator("#provider-apollo details.error summary").click()
    expect(page.locator("#provider-apollo details.error pre")).to_contain_text("key refused")
