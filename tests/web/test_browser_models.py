"""The model pages in Chromium: the registry, a version's charts, promotion with its
confirmation, and the training report opened from disk with the network off."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, CliResult, Workspace
from tests.web.conftest import Site, browser_sign_in
from tests.web.model_versions import NAME, Trained, register_versions, stage_of, train_versions

pytestmark = pytest.mark.parametrize("workspace", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def trained(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Trained]:
    """Two versions of "meetings", trained once for the module."""
    return train_versions(sqlite_template, tmp_path_factory.mktemp("trained"))


@pytest.fixture
def models(workspace: Workspace, trained: list[Trained], tmp_path: Path) -> Workspace:
    """The test's workspace with meetings v1 (active) and v2 (shadow)."""
    register_versions(workspace, trained, tmp_path / "data")
    return workspace


def test_the_registry_lists_versions_for_a_reader(
    models: Workspace, site: Site, page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    browser_sign_in(page, site, "reader")
    page.click("nav.sidebar >> text=Models")
    page.wait_for_url(re.compile(r".*/models$"))
    rows = page.locator("table.models tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".pill")).to_have_text("shadow")
    expect(rows.nth(1).locator(".pill")).to_have_text("active")
    page.click("table.models >> text=v1")
    page.wait_for_url(re.compile(rf".*/models/{NAME}/1$"))
    expect(page.locator("figure.chart svg")).to_have_count(5)
    expect(page.locator("form[action$='/promote'], form[action$='/rollback']")).to_have_count(0)
    page.goto(f"{site.url}/models")  # the registry is the page to look at afterwards


def test_an_admin_opens_a_version_sees_its_charts_and_promotes_it(
    models: Workspace, site: Site, page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    browser_sign_in(page, site, "admin")
    page.goto(f"{site.url}/models")
    page.click("table.models >> text=v2")
    page.wait_for_url(re.compile(rf".*/models/{NAME}/2$"))
    charts = page.locator("figure.chart svg")
    expect(charts).to_have_count(5)
    for index in range(5):
        box = charts.nth(index).bounding_box()
        assert box and box["width"] > 250 and box["height"] > 150
    stage = page.locator("h1 .pill")
    expect(stage).to_have_text("shadow")

    # Dismissing the confirmation sends nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("button:has-text('Promote to active')")
    page.wait_for_timeout(300)
    assert stage_of(models, 2) == "shadow"

    messages: list[str] = []

    def accept(dialog: object) -> None:
        messages.append(dialog.message)  # type: ignore[attr-defined]
        dialog.accept()  # type: ignore[attr-defined]

    page.once("dialog", accept)
    page.click("button:has-text('Promote to active')")
    page.wait_for_url(re.compile(r".*\?done=promoted$"))
    assert messages and "Make meetings v2 the active model?" in messages[0]
    expect(stage).to_have_text("active")
    expect(page.locator(".notice-ok")).to_contain_text("v2 is now the active version")
    expect(page.locator("button:has-text('Roll back to v1')")).to_be_visible()
    assert (stage_of(models, 1), stage_of(models, 2)) == ("archived", "active")


def test_the_training_report_opens_offline_with_its_charts(
    workspace: Workspace, cli: Callable[..., CliResult], page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    table = FIXTURES / "x_education_200.csv"
    trained = cli("train", "--data", str(table), "--target", "Converted", "--time-budget", "0")
    assert trained.exit_code == 0, trained.stderr
    found = re.search(r"report: (\S+)", trained.stdout)
    assert found
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.context.set_offline(True)
    page.goto(Path(found.group(1)).resolve().as_uri())
    expect(page.locator("figure svg")).to_have_count(5)
    expect(page.locator("h1")).to_contain_text("converted:v1")
    assert all(url.startswith("file://") for url in fetched), fetched
