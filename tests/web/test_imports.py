"""The import pages over plain HTTP: upload, the detected mapping corrected before anything is
loaded, the import run by the server's own job runner to its summary, the quarantine with its
reasons (and as CSV, formulas made text), lead file values shown as text, and who may do what."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.ingest.staging import MAX_STAGED_PER_USER
from leadrank.jobs.runner import JobRunner
from leadrank.orm import Import, Job, Lead
from tests.conftest import Workspace
from tests.server import Server
from tests.web.conftest import Site, csrf_of

HOSTILE = "<img src=x onerror=alert(1)>"
# What does not depend on the database runs on SQLite alone; imports run on both.
SQLITE_ONLY = pytest.mark.parametrize("workspace", ["sqlite"], indirect=True)
# Firm is no header leadrank knows: it is detected as a custom attribute and corrected to
# the company; Notes is ignored. Row 3 has no usable identity: it goes to quarantine.
LEADS_CSV = (
    "Email,Name,Firm,Title,Notes\n"
    "ada@analytical.example,Ada Lovelace,Analytical Engines,CTO,met at the fair\n"
    f'grace@navy.example,"{HOSTILE}",US Navy,Rear Admiral,\n'
    f'not-an-email,,"{HOSTILE}",=HYPERLINK("http://x.example"),\n'
)


def _upload(
    client: httpx.Client,
    body: str | bytes,
    *,
    name: str = "fair.csv",
    source: str = "trade show",
    kind: str = "auto",
    csrf: str | None = None,
) -> httpx.Response:
    token = csrf if csrf is not None else csrf_of(client.get("/imports").text)
    data = {"source": source, "kind": kind}
    if token:
        data["csrf_token"] = token
    return client.post("/imports/preview", data=data, files={"file": (name, body, "text/csv")})


def _targets(html: str) -> dict[str, str]:
    """Each column of the mapping form and the target selected for it."""
    found = {}
    for column, select_html in re.findall(
        r'data-column="([^"]*)">(.*?)</select>', html, flags=re.DOTALL
    ):
        chosen = re.search(r'<option value="([^"]*)" selected>', select_html)
        assert chosen, column
        found[column] = chosen.group(1)
    return found


def _finished(client: httpx.Client, url: str) -> str:
    """The import page's state once its import has finished (polled as htmx polls it)."""
    deadline = time.monotonic() + 60
    while True:
        state = client.get(url, headers={"HX-Request": "true"})
        assert state.status_code == 200, state.text
        if "hx-trigger" not in state.text:
            return state.text
        assert 'hx-trigger="every 1s"' in state.text
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.2)


@SQLITE_ONLY
def test_every_import_page_needs_a_sign_in(site: Site) -> None:
    with site.client() as client:
        for path in ("/imports", "/imports/1", "/imports/1/quarantine.csv", "/imports/staged/ab"):
            answer = client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/login?next="), path
        assert client.post("/imports/preview", files={"file": ("a.csv", b"x")}).status_code == 401


@SQLITE_ONLY
def test_a_reader_follows_imports_but_cannot_upload(site: Site, tmp_path: Path) -> None:
    with site.client("reader") as reader:
        page = reader.get("/imports")
        assert page.status_code == 200
        assert "No imports yet" in page.text
        assert 'action="/imports/preview"' not in page.text  # no upload card for a reader
        refused = _upload(reader, LEADS_CSV, csrf=csrf_of(page.text))
        assert refused.status_code == 403
        assert "may not do this" in refused.text
    assert not (tmp_path / "data" / "staged-uploads").exists()  # nothing was kept
    with site.client("writer") as writer:
        staged = _upload(writer, LEADS_CSV)
        assert staged.status_code == 303
        token_page = staged.headers["location"]
    with site.client("reader") as reader:
        token = csrf_of(reader.get("/imports").text)
        assert reader.get(token_page).status_code == 403
        start = reader.post(token_page, data={"csrf_token": token, "kind": "leads"})
        assert start.status_code == 403


@SQLITE_ONLY
def test_forms_without_the_token_are_refused(site: Site, tmp_path: Path) -> None:
    with site.client("writer") as client:
        assert _upload(client, LEADS_CSV, csrf="").status_code == 403
        assert _upload(client, LEADS_CSV, csrf="forged-token").status_code == 403
        assert not (tmp_path / "data" / "staged-uploads").exists()
        staged = _upload(client, LEADS_CSV).headers["location"]
        refused = client.post(staged, data={"kind": "leads", "target": ["email"] * 5})
        assert refused.status_code == 403
        assert client.post(f"{staged}/cancel", data={}).status_code == 403
        assert client.get(staged).status_code == 200  # still waiting for a real confirmation


def test_upload_correct_the_mapping_import_and_read_the_quarantine(
    site: Site, workspace: Workspace, tmp_path: Path
) -> None:
    with site.client("writer") as client:
        staged = _upload(client, LEADS_CSV, source="=SUM(1+1)")
        assert staged.status_code == 303
        location = staged.headers["location"]
        assert re.fullmatch(r"/imports/staged/[0-9a-f]{32}", location)
        preview = client.get(location)
        assert preview.status_code == 200
        html = preview.text
        # The mapping as `ingest --dry-run` detects it, with sample values, as text.
        assert _targets(html) == {
            "Email": "email",
            "Name": "full_name",
            "Firm": "+",
            "Title": "job_title",
            "Notes": "+",
        }
        assert "ada@analytical.example" in html and "met at the fair" in html
        assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "3 rows" in html
        # Another kind maps the same headers to its own fields (what htmx asks on a change).
        as_events = client.get(f"{location}?kind=events", headers={"HX-Request": "true"})
        assert as_events.status_code == 200 and "<html" not in as_events.text
        assert _targets(as_events.text)["Email"] == "email"
        assert "event type" in as_events.text

        token = csrf_of(html)
        started = client.post(
            location,
            data={
                "csrf_token": token,
                "source": "=SUM(1+1)",
                "kind": "leads",
                "target": ["email", "full_name", "company_name", "job_title", "-"],
            },
        )
        assert started.status_code == 303, started.text
        page_url = started.headers["location"]
        import_id = int(page_url.rsplit("/", 1)[1])
        assert not any((tmp_path / "data" / "staged-uploads").iterdir())  # moved on

        first = client.get(page_url)
        assert first.status_code == 200
        assert "fair.csv" in first.text
        state = _finished(client, page_url)
        assert '<span class="pill pill-ok">done</span>' in state
        stats = dict(
            re.findall(r'<div class="label">([^<]+)</div><div class="value">([^<]+)</div>', state)
        )
        assert stats["Rows read"] == "3"
        assert stats["New leads"] == "2"
        assert stats["Quarantined"] == "1"
        assert stats["Merged as duplicates"] == "0"
        assert stats["Duration"].endswith("s")
        # The quarantined row, its reasons, and its cells as text.
        assert "<code>no_identity</code>" in state
        assert "no valid email, LinkedIn URL, phone" in state
        assert HOSTILE not in state and "&lt;img src=x onerror=alert(1)&gt;" in state
        assert 'href="/imports/' + str(import_id) + '/quarantine.csv"' in state
        # The whole page once done: no polling left.
        done_page = client.get(page_url).text
        assert "hx-trigger" not in done_page and "every 1s" not in done_page

        download = client.get(f"/imports/{import_id}/quarantine.csv")
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")
        assert (
            f"leadrank-import-{import_id}-quarantine.csv" in download.headers["content-disposition"]
        )
        rows = list(csv.DictReader(io.StringIO(download.text)))
        assert len(rows) == 1
        assert rows[0]["row"] == "3" and rows[0]["reasons"].startswith("no_identity")
        assert rows[0]["source"] == "'=sum(1+1)"  # a formula made text
        assert HOSTILE in rows[0]["record"]  # the cells as sent, for the person fixing them

        listing = client.get("/imports")
        assert "fair.csv" in listing.text and "pill-ok" in listing.text
        assert f'href="/imports/{import_id}#quarantine">1</a>' in listing.text

    with session_scope(workspace.engine) as session:
        record = session.get(Import, import_id)
        assert record is not None and record.status == "done"
        assert record.mapping["fields"]["company_name"] == ["Firm"]
        assert record.mapping["ignored"] == ["Notes"]
        companies = set(session.scalars(select(Lead.company_name)))
    assert {"Analytical Engines", "US Navy"} <= companies  # the corrected column
    # Once imported, the uploaded file is not kept.
    assert not any((tmp_path / "data" / "uploads").rglob("*.csv"))


@SQLITE_ONLY
def test_a_lead_file_value_is_shown_as_text_in_the_list_and_summary(
    site: Site, tmp_path: Path
) -> None:
    with site.client("writer") as client:
        location = _upload(client, LEADS_CSV, name=f"{HOSTILE}.csv").headers["location"]
        preview = client.get(location)
        assert "&lt;img src=x onerror=alert(1)&gt;.csv" in preview.text
        assert HOSTILE not in preview.text
        targets = list(_targets(preview.text).values())
        started = client.post(
            location,
            data={
                "csrf_token": csrf_of(preview.text),
                "kind": "leads",
                "target": targets,
                "source": HOSTILE,
            },
        )
        assert started.status_code == 303
        page_url = started.headers["location"]
        _finished(client, page_url)
        for html in (client.get(page_url).text, client.get("/imports").text):
            assert HOSTILE not in html
            assert "&lt;img src=x onerror=alert(1)&gt;" in html


@SQLITE_ONLY
def test_a_file_that_cannot_be_read_is_refused_and_not_kept(site: Site, tmp_path: Path) -> None:
    staged_root = tmp_path / "data" / "staged-uploads"
    with site.client("writer") as client:
        wrong_type = _upload(client, b"MZ\x90\x00", name="setup.exe")
        assert wrong_type.status_code == 400
        assert "unsupported file type" in wrong_type.text
        assert not staged_root.exists()
        unreadable = _upload(client, b"", name="empty.csv")  # read when it arrives
        assert unreadable.status_code == 400
        assert "could not be used" in unreadable.text and "empty" in unreadable.text
        assert not any(staged_root.iterdir())  # removed with its failure


def test_a_mapping_that_cannot_be_imported_is_shown_again(site: Site, workspace: Workspace) -> None:
    events = "Email,What,Date\nada@analytical.example,reply,2026-01-05T10:00:00Z\n"
    with site.client("writer") as client:
        location = _upload(client, events, name="replies.csv", kind="events").headers["location"]
        preview = client.get(location)
        assert _targets(preview.text) == {"Email": "email", "What": "+", "Date": "occurred_at"}
        assert "No column feeds event_type" in preview.text
        token = csrf_of(preview.text)
        form = {"csrf_token": token, "kind": "events", "source": "crm"}
        refused = client.post(location, data={**form, "target": ["email", "+", "occurred_at"]})
        assert refused.status_code == 400
        assert "no event type column found" in refused.text
        unknown = client.post(location, data={**form, "target": ["email", "password", "-"]})
        assert unknown.status_code == 400 and "unknown field" in unknown.text
        # The choices as sent, where they can be shown.
        assert _targets(unknown.text) == {"Email": "email", "What": "+", "Date": "-"}
        short = client.post(location, data={**form, "target": ["email"]})
        assert short.status_code == 400 and "3 columns" in short.text
        with session_scope(workspace.engine) as session:
            assert session.scalars(select(Import)).all() == []  # nothing queued by any of them
        fixed = client.post(
            location, data={**form, "target": ["email", "event_type", "occurred_at"]}
        )
        assert fixed.status_code == 303
        state = _finished(client, fixed.headers["location"])
        assert "Events recorded" in state


@SQLITE_ONLY
def test_cancel_discards_the_file(site: Site, tmp_path: Path) -> None:
    with site.client("writer") as client:
        location = _upload(client, LEADS_CSV).headers["location"]
        page = client.get(location)
        gone = client.post(f"{location}/cancel", data={"csrf_token": csrf_of(page.text)})
        assert gone.status_code == 303 and gone.headers["location"] == "/imports"
        assert not any((tmp_path / "data" / "staged-uploads").iterdir())
        assert client.get(location).status_code == 404
    with site.client("admin") as other:  # another user's upload is not theirs to see
        location = _upload(other, LEADS_CSV).headers["location"]
    with site.client("writer") as client:
        assert client.get(location).status_code == 404


@SQLITE_ONLY
def test_a_writer_holds_a_few_uploads_and_finds_them_on_the_list(site: Site) -> None:
    with site.client("writer") as client:
        waiting = [
            _upload(client, LEADS_CSV, name=f"list-{n}.csv").headers["location"]
            for n in range(MAX_STAGED_PER_USER)
        ]
        refused = _upload(client, LEADS_CSV, name="one-too-many.csv")
        assert refused.status_code == 409
        assert f"you already have {MAX_STAGED_PER_USER} uploads waiting" in refused.text
        assert "start or cancel one of them" in refused.text
        # The list shows the uploads waiting, each linked to its columns, to start or cancel.
        for n, location in enumerate(waiting):
            assert f'<a href="{location}">list-{n}.csv</a>' in refused.text
        assert "one-too-many.csv" not in refused.text
        page = client.get(waiting[0])
        cancel = client.post(f"{waiting[0]}/cancel", data={"csrf_token": csrf_of(page.text)})
        assert cancel.status_code == 303
        assert _upload(client, LEADS_CSV, name="room-again.csv").status_code == 303
    with site.client("admin") as other:  # another user's are not on their list, nor counted
        listing = other.get("/imports").text
        assert "Waiting for you" not in listing and "list-1.csv" not in listing
        assert _upload(other, LEADS_CSV).status_code == 303


@pytest.fixture
def held_site(start_server: Callable[..., Server], users: dict[str, str]) -> Site:
    """The web app with no job runner of its own: imports wait until the test runs them."""
    return Site(start_server(run_jobs=False))


def _queue(client: httpx.Client, body: str = LEADS_CSV) -> str:
    """Upload `body` and start its import as detected; the import's page."""
    location = _upload(client, body).headers["location"]
    preview = client.get(location)
    started = client.post(
        location,
        data={
            "csrf_token": csrf_of(preview.text),
            "kind": "leads",
            "source": "fair",
            "target": list(_targets(preview.text).values()),
        },
    )
    assert started.status_code == 303
    return str(started.headers["location"])


def _set_job(workspace: Workspace, import_id: int, **values: object) -> None:
    with session_scope(workspace.engine) as session:
        record = session.get(Import, import_id)
        assert record is not None
        session.execute(update(Job).where(Job.id == record.job_id).values(**values))


def _run_jobs(workspace: Workspace) -> None:
    settings = Settings(database_url=workspace.url, auto_enrich=False, auto_score=False)
    JobRunner(workspace.engine, settings).run_until_idle()


def test_progress_is_polled_until_the_import_finishes(
    held_site: Site, workspace: Workspace
) -> None:
    with held_site.client("reader") as reader, held_site.client("writer") as writer:
        page_url = _queue(writer)
        import_id = int(page_url.rsplit("/", 1)[1])
        waiting = reader.get(page_url).text
        assert f'hx-get="/imports/{import_id}" hx-trigger="every 1s"' in waiting
        assert "Waiting for the background runner" in waiting
        assert '<span class="pill pill">queued</span>' in waiting
        assert 'hx-trigger="every 2s"' in reader.get("/imports").text  # the list follows too

        _set_job(
            workspace,
            import_id,
            status="running",
            progress={"stage": "ingest", "done": 40, "total": 100},
        )
        running = reader.get(page_url, headers={"HX-Request": "true"}).text
        assert "<html" not in running  # the state alone, swapped in place
        assert '<progress max="100" value="40">' in running
        assert "<strong>40</strong> of 100" in running
        assert 'hx-trigger="every 1s"' in running and "pill-info" in running

        _set_job(workspace, import_id, status="queued", progress=None)
        _run_jobs(workspace)
        done = reader.get(page_url, headers={"HX-Request": "true"}).text
        assert "hx-trigger" not in done and "pill-ok" in done and "Rows read" in done
        assert "hx-trigger" not in reader.get("/imports").text


def test_a_failed_import_says_why(held_site: Site, workspace: Workspace, tmp_path: Path) -> None:
    with held_site.client("writer") as writer:
        page_url = _queue(writer)
        for upload in (tmp_path / "data" / "uploads").rglob("*.csv"):
            upload.unlink()  # gone before the runner takes it
        _run_jobs(workspace)
        failed = writer.get(page_url).text
        assert "hx-trigger" not in failed
        assert "The import did not finish" in failed
        assert "no longer on disk" in failed
        assert "pill-danger" in writer.get("/imports").text


@SQLITE_ONLY
def test_one_file_per_upload(site: Site, tmp_path: Path) -> None:
    with site.client("writer") as client:
        token = csrf_of(client.get("/imports").text)
        answer = client.post(
            "/imports/preview",
            data={"csrf_token": token, "source": "fair"},
            files=[("file", ("a.csv", LEADS_CSV)), ("file", ("b.csv", LEADS_CSV))],
        )
        assert answer.status_code == 400 and "one file at a time" in answer.text
    with site.client("reader") as client:
        token = csrf_of(client.get("/imports").text)
        answer = client.post(
            "/imports/preview",
            data={"csrf_token": token},
            files=[("file", ("a.csv", LEADS_CSV)), ("file", ("b.csv", LEADS_CSV))],
        )
        assert answer.status_code == 403
    assert not (tmp_path / "data" / "staged-uploads").exists()
