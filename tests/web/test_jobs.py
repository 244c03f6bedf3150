"""`/jobs` and `/providers` over plain HTTP: a job that failed on purpose shows with its error
and an admin (only) runs it again; the providers' breakers, rates, calls and credits as the
waterfall left them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, update

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.enrichment.providers.base import PermanentError
from leadrank.enrichment.providers.builtin import BuiltinProvider
from leadrank.enrichment.providers.fake import FakeProvider
from leadrank.enrichment.setup import enrich_with_settings
from leadrank.ingest.service import ingest_records
from leadrank.jobs.runner import JobRunner
from leadrank.orm import Import, Lead
from tests.conftest import Workspace
from tests.jobs.uploads import queue_file, stored_job
from tests.server import Server
from tests.web.conftest import Site, csrf_of

GOOD = b"email,first name,company\nann@acme.com,Ann,Acme\n"
BAD_EVENTS = b"when,email\n2026-01-01,a@b.com\n"  # an events file with no event type column


def run_two_imports(workspace: Workspace, data_dir: Path) -> tuple[int, int]:
    """An import that succeeds and one that fails on purpose, both run; their job ids."""
    good = queue_file(workspace, data_dir, GOOD, "good.csv")
    bad = queue_file(workspace, data_dir, BAD_EVENTS, "events.csv")
    with session_scope(workspace.engine) as session:
        session.execute(update(Import).where(Import.job_id == bad).values(kind="events"))
    settings = Settings(
        database_url=workspace.url, data_dir=data_dir, auto_enrich=False, auto_score=False
    )
    JobRunner(workspace.engine, settings).run_until_idle()
    assert stored_job(workspace, good).status == "succeeded"
    assert stored_job(workspace, bad).status == "failed"
    return good, bad


def test_the_pages_need_a_sign_in(site: Site) -> None:
    with site.client() as client:
        for path in ("/jobs", "/jobs?status=failed", "/providers"):
            answer = client.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        assert client.post("/jobs/1/retry").status_code in (401, 403)


def test_a_failed_job_shows_and_only_an_admin_runs_it_again(
    workspace: Workspace,
    users: dict[str, str],
    start_server: Callable[..., Server],
    tmp_path: Path,
) -> None:
    good, bad = run_two_imports(workspace, tmp_path)
    # No runner in the server: a retried job stays queued for the test to see.
    site = Site(start_server(run_jobs=False, data_dir=tmp_path))

    with site.client("reader") as client:
        page = client.get("/jobs")
        assert page.status_code == 200
        assert f'id="job-{good}" data-status="succeeded"' in page.text
        assert f'id="job-{bad}" data-status="failed"' in page.text
        assert "events.csv: no event type column" in page.text  # the error, in full, in details
        assert f"/jobs/{bad}/retry" not in page.text  # a reader sees no Retry button
        assert "hx-trigger" not in page.text  # nothing runs: no refresh
        assert re.search(r'Failed <span class="count">1</span>', page.text)
        failed_only = client.get("/jobs?status=failed")
        assert f"job-{bad}" in failed_only.text and f"job-{good}" not in failed_only.text
        assert client.get("/jobs?status=exploded").status_code == 400
        assert client.get("/jobs?task=import_file").status_code == 200
        assert client.get("/jobs?task=mine_bitcoin").status_code == 400
        token = csrf_of(page.text)
        assert client.post(f"/jobs/{bad}/retry", data={"csrf_token": token}).status_code == 403
    with site.client("writer") as client:
        token = csrf_of(client.get("/jobs").text)
        assert client.post(f"/jobs/{bad}/retry", data={"csrf_token": token}).status_code == 403
    assert stored_job(workspace, bad).status == "failed"  # nothing changed

    with site.client("admin") as client:
        page = client.get("/jobs?status=failed")
        assert f'action="/jobs/{bad}/retry"' in page.text and "data-confirm=" in page.text
        assert f'action="/jobs/{good}/retry"' not in page.text  # only failed jobs
        assert client.post(f"/jobs/{bad}/retry").status_code == 403  # no form token
        assert stored_job(workspace, bad).status == "failed"
        retried = client.post(
            f"/jobs/{bad}/retry", data={"csrf_token": csrf_of(page.text), "back": "status=failed"}
        )
        assert retried.status_code == 303
        assert retried.headers["location"] == f"/jobs?status=failed&retried={bad}"
        job = stored_job(workspace, bad)
        assert (job.status, job.error, job.attempts) == ("queued", None, 0)
        assert job.requested_by is not None and job.requested_by.startswith("user:")
        shown = client.get(retried.headers["location"])
        assert f"Job {bad} is queued again" in shown.text
        assert re.search(r'Failed <span class="count">0</span>', shown.text)
        # A queued job: the list refreshes itself, and htmx gets the list alone.
        everything = client.get("/jobs")
        assert 'hx-trigger="every 5s"' in everything.text
        part = client.get("/jobs", headers={"HX-Request": "true"})
        assert part.text.lstrip().startswith('<div id="jobs"') and "<html" not in part.text
        assert f'id="job-{bad}" data-status="queued"' in part.text
        again = client.post(f"/jobs/{bad}/retry", data={"csrf_token": csrf_of(page.text)})
        assert again.status_code == 409 and "only a failed job" in again.text
        assert (
            client.post("/jobs/999999/retry", data={"csrf_token": csrf_of(page.text)}).status_code
            == 404
        )


def test_the_jobs_list_pages_back_newest_first(
    workspace: Workspace, users: dict[str, str], start_server: Callable[..., Server]
) -> None:
    from leadrank.jobs.defer import defer

    with session_scope(workspace.engine) as session:
        ids = [defer(session, task="score_leads", arguments={"n": n}).id for n in range(55)]
    site = Site(start_server(run_jobs=False))
    with site.client("reader") as client:
        first = client.get("/jobs?status=queued")
        shown = [int(i) for i in re.findall(r'id="job-(\d+)"', first.text)]
        assert shown == sorted(ids, reverse=True)[:50]
        older = re.search(r'href="/jobs\?([^"]+)" rel="next"', first.text)
        assert older is not None
        second = client.get("/jobs?" + older.group(1).replace("&amp;", "&"))
        assert [int(i) for i in re.findall(r'id="job-(\d+)"', second.text)] == sorted(ids)[:5][::-1]
        assert 'rel="next"' not in second.text and "« Newest" in second.text


def enrich_with_faults(workspace: Workspace, data_dir: Path) -> None:
    """Four people through the waterfall: Apollo refuses its key until its breaker opens, PDL
    finds each person (2 credits each), the built-in rules answer what they can."""
    people = [
        {"email": f"p{n}@acme{n}.com", "first_name": f"P{n}", "company_name": f"Acme {n}"}
        for n in range(4)
    ]
    with session_scope(workspace.engine) as session:
        ingest_records(session, records=people, source="crm", kind="leads", name="people")
        lead_ids = list(session.scalars(select(Lead.id)))
    apollo = FakeProvider("apollo", groups=("person", "company"), cost_per_call=1.0)
    apollo.fail_next(*[PermanentError("key refused <script>alert(1)</script>", status=401)] * 5)
    pdl = FakeProvider(
        "pdl",
        groups=("person",),
        cost_per_call=2.0,
        directory={p["email"]: {"person": {"job_title": "VP Sales"}} for p in people},
    )
    settings = Settings(
        database_url=workspace.url, data_dir=data_dir, auto_score=False, enrichment_confidence=1.0
    )
    enrich_with_settings(
        workspace.engine,
        settings,
        lead_ids=lead_ids,
        groups=["person", "company"],
        providers={"builtin": BuiltinProvider(), "apollo": apollo, "pdl": pdl},
        threads=1,
        rescore="never",
    )


def test_the_providers_show_breakers_rates_calls_and_credits(
    workspace: Workspace, users: dict[str, str], start_server: Callable[..., Server], tmp_path: Path
) -> None:
    enrich_with_faults(workspace, tmp_path)
    site = Site(start_server(run_jobs=False, enrichment_daily_credits={"pdl": 50}))
    with site.client("reader") as client:
        page = client.get("/providers")
    assert page.status_code == 200
    cards = re.findall(r'id="provider-(\w+)"', page.text)
    assert cards == ["builtin", "clearbit", "apollo", "pdl", "hunter"]  # the waterfall's order
    apollo_card = page.text.split('id="provider-apollo"')[1].split("</article>")[0]
    assert 'class="pill pill-danger" title="circuit breaker">open<' in apollo_card
    assert "5 failures in a row" in apollo_card
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in apollo_card and "<script>alert" not in page.text
    )
    assert "50 calls a minute" in apollo_card  # Apollo's documented free-plan rate
    pdl_card = page.text.split('id="provider-pdl"')[1].split("</article>")[0]
    assert 'title="circuit breaker">closed<' in pdl_card
    assert "<strong>8.0</strong> of 50" in pdl_card  # four people found, 2 credits each
    assert re.search(r'<meter min="0" max="50(\.0)?"[^>]*value="8.0"', pdl_card)
    assert "4 calls in the last 60 s" in pdl_card
    builtin_card = page.text.split('id="provider-builtin"')[1].split("</article>")[0]
    assert "no limit" in builtin_card and "Credits today" not in builtin_card
    hunter_card = page.text.split('id="provider-hunter"')[1].split("</article>")[0]
    assert "LEADRANK_HUNTER_API_KEY" in hunter_card  # no key set: skipped
