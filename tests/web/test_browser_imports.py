"""Importing a file in a real browser: drop it (or choose it), correct the detected mapping,
start, watch the import to its summary, read the quarantined row and download it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.ingest.uploads import queue_upload
from leadrank.jobs.runner import JobRunner
from leadrank.orm import Job
from tests.conftest import Workspace
from tests.server import Server
from tests.web.conftest import SCREENSHOTS, Site, browser_sign_in

pytestmark = pytest.mark.parametrize("workspace", ["sqlite"], indirect=True)

COMPANIES = ("Analytical Engines", "US Navy", "Bell Labs", "Xerox PARC", "Stanford", "IBM")
PEOPLE = (
    ("Ada Lovelace", "CTO"),
    ("Grace Hopper", "Rear Admiral"),
    ("Claude Shannon", "Researcher"),
    ("Alan Kay", "Fellow"),
    ("Donald Knuth", "Professor"),
    ("Frances Allen", "Fellow"),
)


def _fair_csv() -> str:
    """A trade-show list: a header leadrank does not know (Firm), a column nobody needs, and
    one row with nobody to find in it."""
    lines = ["Email,Name,Firm,Title,Badge scanned"]
    for (name, title), company in zip(PEOPLE, COMPANIES, strict=True):
        email = name.lower().replace(" ", ".") + "@example.com"
        lines.append(f"{email},{name},{company},{title},yes")
    lines.append("not-an-email,,<b>Nobody Inc</b>,Visitor,no")
    return "\n".join(lines) + "\n"


def test_drop_a_file_correct_its_mapping_and_follow_the_import(
    page: Page, site: Site, tmp_path: Path
) -> None:
    browser_sign_in(page, site, "writer")
    page.goto(f"{site.url}/imports")
    expect(page.locator(".empty")).to_contain_text("No imports yet")
    name = page.locator("[data-file-name]")
    # Choosing a file names it in the drop zone...
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "chosen.csv", "mimeType": "text/csv", "buffer": b"Email\na@b.example\n"}],
    )
    expect(name).to_have_text("chosen.csv")
    # ...and so does dropping one, which replaces it.
    dropped = page.evaluate_handle(
        """(text) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "trade-show.csv", {type: "text/csv"}));
            return transfer;
        }""",
        _fair_csv(),
    )
    page.dispatch_event(".dropzone", "dragenter", {"dataTransfer": dropped})
    expect(page.locator(".dropzone")).to_have_class(re.compile(r"\bdragging\b"))
    page.dispatch_event(".dropzone", "drop", {"dataTransfer": dropped})
    expect(name).to_have_text("trade-show.csv")
    expect(page.locator(".dropzone")).not_to_have_class(re.compile(r"\bdragging\b"))
    page.fill("input[name=source]", "Trade Show")
    page.get_by_role("button", name="Upload and check columns").click()

    # The mapping as detected: Firm is not a header leadrank knows.
    expect(page).to_have_url(re.compile(r"/imports/staged/[0-9a-f]{32}$"))
    expect(page.locator("h1")).to_have_text("Check the columns")
    expect(page.locator(".subtitle")).to_contain_text("trade-show.csv")
    expect(page.locator(".subtitle")).to_contain_text("7 rows")
    # Until it starts, the upload waits on the list of imports, for its user to come back to.
    staged_url = page.url
    page.locator("nav.sidebar").get_by_role("link", name="Imports").click()
    waiting = page.locator(".waiting-card")
    expect(waiting).to_contain_text("trade-show.csv")
    page.screenshot(path=str(SCREENSHOTS / "imports_waiting.png"), full_page=True)
    waiting.get_by_role("link", name="trade-show.csv").click()
    expect(page).to_have_url(staged_url)
    firm = page.locator('select[data-column="Firm"]')
    expect(firm).to_have_value("+")
    expect(page.locator('select[data-column="Email"]')).to_have_value("email")
    # Switching the kind maps the columns as events (htmx), and back.
    page.select_option("select[name=kind]", "events")
    expect(page.locator(".notice-warn")).to_contain_text("event_type")
    page.select_option("select[name=kind]", "leads")
    expect(page.locator(".notice-warn")).not_to_contain_text("event_type")
    # Correct one column, ignore another.
    page.select_option('select[data-column="Firm"]', "company_name")
    page.select_option('select[data-column="Badge scanned"]', "-")
    page.screenshot(path=str(SCREENSHOTS / "imports_mapping.png"), full_page=True)
    page.get_by_role("button", name="Start the import").click()

    # Live to done, then the summary; the polling stops.
    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    import_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("h1")).to_have_text("trade-show.csv")
    expect(page.locator(".summary-head .pill")).to_have_text("done", timeout=30_000)
    expect(page.locator("#import-state")).not_to_have_attribute("hx-trigger", re.compile("."))
    stats = page.locator(".stats.summary")
    expect(stats.locator(".stat", has_text="Rows read").locator(".value")).to_have_text("7")
    expect(stats.locator(".stat", has_text="New leads").locator(".value")).to_have_text("6")
    expect(stats.locator(".stat", has_text="Quarantined").locator(".value")).to_have_text("1")
    expect(stats.locator(".stat", has_text="Duration").locator(".value")).to_have_text(
        re.compile(r"\d")
    )
    row = page.locator("table.quarantine tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td.why")).to_contain_text("no_identity")
    expect(row.locator("td.record")).to_contain_text("<b>Nobody Inc</b>")
    expect(page.locator("dl.fields")).to_contain_text("Firm")  # the corrected mapping
    page.screenshot(path=str(SCREENSHOTS / "imports_detail.png"), full_page=True)

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download CSV").click()
    download = downloading.value
    assert download.suggested_filename == f"leadrank-import-{import_id}-quarantine.csv"
    saved = tmp_path / "quarantine.csv"
    download.save_as(saved)
    with saved.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1 and rows[0]["reasons"].startswith("no_identity")
    assert "Nobody Inc" in rows[0]["record"]

    # The list shows it, newest first, with its quarantine.
    page.locator("nav.sidebar").get_by_role("link", name="Imports").click()
    first = page.locator("table.imports tbody tr").first
    expect(first).to_contain_text("trade-show.csv")
    expect(first).to_contain_text("trade show")
    expect(first.locator(".pill")).to_have_text(["done", "1"])


@pytest.fixture
def held_site(start_server: Callable[..., Server], users: dict[str, str]) -> Site:
    """The web app with no job runner of its own: an import waits until the test runs it."""
    return Site(start_server(run_jobs=False))


def test_a_reader_watches_an_import_run_to_done(
    page: Page, held_site: Site, workspace: Workspace, tmp_path: Path
) -> None:
    with session_scope(workspace.engine) as session:
        record = queue_upload(
            session,
            stream=io.BytesIO(_fair_csv().encode()),
            file_name="trade-show.csv",
            source="trade show",
            kind="auto",
            data_dir=tmp_path / "data",
        )
        import_id, job_id = record.id, record.job_id
        # As a runner shows it while it works through the file.
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status="running", progress={"stage": "ingest", "done": 3, "total": 7})
        )
    browser_sign_in(page, held_site, "reader")
    page.goto(f"{held_site.url}/imports/{import_id}")
    expect(page.locator("#import-state .pill")).to_have_text("running")
    expect(page.locator("#import-state progress")).to_have_attribute("value", "3")
    expect(page.locator("#import-state")).to_contain_text("3 of 7")
    page.screenshot(path=str(SCREENSHOTS / "imports_progress.png"), full_page=True)

    with session_scope(workspace.engine) as session:
        session.execute(update(Job).where(Job.id == job_id).values(status="queued", progress=None))
    settings = Settings(database_url=workspace.url, auto_enrich=False, auto_score=False)
    assert JobRunner(workspace.engine, settings).run_until_idle() == 1
    # The page polls its way to the summary on its own.
    expect(page.locator(".summary-head .pill")).to_have_text("done")
    expect(page.locator(".stats.summary")).to_contain_text("Rows read")
    expect(page.locator("table.quarantine tbody tr")).to_have_count(1)
    expect(page.locator("#import-state")).not_to_have_attribute("hx-trigger", re.compile("."))
