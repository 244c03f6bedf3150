"""The lead page over plain HTTP: what it shows (score, reasons chart, history, fields with
where they came from, events, merges, possible duplicates), the actions a writer takes and a
reader cannot, the CSRF check on each, and lead data shown as text."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from markupsafe import escape
from sqlalchemy import func, select

from leadrank.db.engine import session_scope
from leadrank.ingest.service import ingest_file
from leadrank.orm import Event, Import, Job, Lead, LeadMerge, LeadReview
from leadrank.orm.scoring import GradeOverride, LeadScore
from leadrank.scoring.score_run import score_workspace
from tests.conftest import Workspace
from tests.web.conftest import Site, csrf_of, load_scored

ACTIONS = ("grade", "grade/clear", "unmerge", "enrich", "rescore")


def _top_lead(workspace: Workspace) -> Lead:
    with session_scope(workspace.engine) as session:
        best = session.scalar(
            select(LeadScore.lead_id)
            .where(LeadScore.latest)
            .order_by(LeadScore.score.desc(), LeadScore.lead_id)
            .limit(1)
        )
        lead = session.get(Lead, best)
        assert lead is not None
        session.expunge(lead)
        return lead


def _merged(workspace: Workspace) -> LeadMerge:
    """The newest merge in force into some lead."""
    with session_scope(workspace.engine) as session:
        merge = session.scalar(
            select(LeadMerge).where(LeadMerge.undone_at.is_(None)).order_by(LeadMerge.id.desc())
        )
        assert merge is not None, "the sample merges some leads"
        session.expunge(merge)
        return merge


def _counts(workspace: Workspace) -> tuple[int, int, int, int]:
    """Overrides, jobs, merges in force and leads: what the actions change."""
    with session_scope(workspace.engine) as session:

        def count(model: type, *where: object) -> int:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return (
            count(GradeOverride),
            count(Job),
            count(LeadMerge, LeadMerge.undone_at.is_(None)),
            count(Lead),
        )


def _fields(html: str) -> dict[str, tuple[str, str]]:
    """The lead's fields as the page lists them: label -> (value, where it came from); a
    cell of origin spans the rows of the fields that share it."""
    table = html.split('id="fields"', 1)[1].split("</tbody>", 1)[0].split("<tbody>", 1)[1]
    found: dict[str, tuple[str, str]] = {}
    origin = ""
    for row in table.split("<tr>")[1:]:
        label = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        value = re.search(r'<td class="value">(.*?)</td>', row, re.S)
        shared = re.search(r'<td class="origin"[^>]*>(.*?)</td>', row, re.S)
        assert label and value
        origin = shared.group(1) if shared else origin
        found[label.group(1)] = (value.group(1).strip().split("\n")[0].strip(), origin)
    return found


def _post_action(
    client: httpx.Client, lead_id: int, action: str, token: str | None, merge_id: int = 1
) -> httpx.Response:
    data = {"grade": "B", "reason": "met at the fair", "merge_id": str(merge_id)}
    if token is not None:
        data["csrf_token"] = token
    return client.post(f"/leads/{lead_id}/{action}", data=data)


def test_the_lead_page_shows_its_score_reasons_history_fields_and_events(
    scored: Workspace, site: Site
) -> None:
    lead = _top_lead(scored)
    with site.client("reader") as client:
        page = client.get(f"/leads/{lead.id}")
    assert page.status_code == 200
    html = page.text
    assert "Content-Security-Policy" in page.headers
    assert f"<h1>{escape(lead.full_name)}</h1>" in html
    # The reasons as bars drawn on the server, and the score over time.
    assert re.search(r'<figure class="chart reasons-chart"><svg', html)
    assert re.search(r'<figure class="chart history-chart"><svg', html)
    assert "Seniority is C-level or VP" in html and "+30" in html
    assert '<h2>Fit <span class="part-value">' in html
    # Every field says where it came from: the file and its row.
    with session_scope(scored.engine) as session:
        stored = session.get(Lead, lead.id)
        assert stored is not None
        import_id, row = stored.provenance["job_title"]
        imported = session.get(Import, import_id)
        assert imported is not None
        events = session.scalars(
            select(Event).where(Event.lead_id == lead.id).order_by(Event.occurred_at.desc())
        ).all()
    fields = _fields(html)
    value, origin = fields["Job title"]
    assert value == str(escape(lead.job_title))
    assert f'href="/imports/{import_id}">{Path(imported.file_name).name}</a> row {row}' in origin
    assert f"imported {imported.started_at:%Y-%m-%d %H:%M}" in origin
    # Its events, newest first.
    assert events, "the top lead has activity"
    assert f'Events <span class="muted count">{len(events)}</span>' in html
    timeline = html.split('id="events"', 1)[1].split("</section>", 1)[0]
    shown = re.findall(r"<strong>([a-z ]+)</strong>", timeline)
    assert sorted(shown) == sorted(e.event_type.replace("_", " ") for e in events[:100])
    moments = re.findall(r'title="(\d{4}-\d\d-\d\d \d\d:\d\d)"', timeline)
    assert len(moments) == len(shown) and moments == sorted(moments, reverse=True)
    # The company links to its account; the reader sees no form that changes anything.
    assert f'href="/accounts/{lead.company_id}"' in html
    for action in ACTIONS:
        assert f'action="/leads/{lead.id}/{action}"' not in html
    assert "a writer or an admin can" in html
    # A lead in a pair waiting for review links to the other, and to the review queue.
    with session_scope(scored.engine) as session:
        review = session.scalar(
            select(LeadReview).where(LeadReview.status == "pending").order_by(LeadReview.id)
        )
        assert review is not None, "the sample leaves pairs to review"
        first, second = review.lead_a, review.lead_b
    with site.client("reader") as client:
        page = client.get(f"/leads/{first}").text
    section = page.split('id="duplicates"', 1)[1].split("</section>", 1)[0]
    assert f'href="/leads/{second}"' in section
    assert 'href="/duplicates"' in section


def test_sign_in_is_needed_and_an_unknown_lead_is_not_found(scored: Workspace, site: Site) -> None:
    merge = _merged(scored)
    lead = _top_lead(scored)
    with site.client() as anonymous:
        page = anonymous.get(f"/leads/{lead.id}", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == f"/login?next=%2Fleads%2F{lead.id}"
        for action in ACTIONS:
            assert _post_action(anonymous, lead.id, action, "x").status_code == 401
    with site.client("reader") as client:
        missing = client.get("/leads/987654321")
        assert missing.status_code == 404
        assert "<h1>Not found</h1>" in missing.text and "no lead" in missing.text
        gone = client.get(f"/leads/{merge.merged_lead_id}")
        assert gone.status_code == 404
        assert f"was merged into lead {merge.kept_lead_id}" in gone.text
        assert client.get("/leads/not-a-number").status_code == 400
        assert client.get("/leads/99999999999999999999999").status_code == 400


def test_a_reader_cannot_act_and_a_form_needs_its_token(scored: Workspace, site: Site) -> None:
    merge = _merged(scored)
    before = _counts(scored)
    with site.client("reader") as client:
        token = csrf_of(client.get(f"/leads/{merge.kept_lead_id}").text)
        for action in ACTIONS:
            answer = _post_action(client, merge.kept_lead_id, action, token, merge.id)
            assert answer.status_code == 403, action
            assert "Not allowed" in answer.text
    with site.client("writer") as client:
        for action in ACTIONS:
            answer = _post_action(client, merge.kept_lead_id, action, None, merge.id)
            assert answer.status_code == 403, action
            wrong = _post_action(client, merge.kept_lead_id, action, "forged", merge.id)
            assert wrong.status_code == 403, action
    assert _counts(scored) == before


def test_a_writer_sets_a_grade_with_a_reason_and_clears_it(scored: Workspace, site: Site) -> None:
    lead = _top_lead(scored)
    with site.client("writer") as client:
        page = client.get(f"/leads/{lead.id}")
        token = csrf_of(page.text)
        assert "data-grade>A</span>" in page.text
        # No reason, no grade: the next reader will want to know why.
        refused = client.post(
            f"/leads/{lead.id}/grade", data={"csrf_token": token, "grade": "D", "reason": " "}
        )
        assert refused.status_code == 400
        answer = client.post(
            f"/leads/{lead.id}/grade",
            data={"csrf_token": token, "grade": "D", "reason": "left the company <b>last week</b>"},
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/leads/{lead.id}?done=graded"
        shown = client.get(answer.headers["location"]).text
        assert 'grade-d overridden" title="grade set by a person" data-grade>D</span>' in shown
        assert "Grade D set by hand</strong> by writer@example.com on " in shown
        assert "left the company &lt;b&gt;last week&lt;/b&gt;" in shown
        assert f'action="/leads/{lead.id}/grade/clear"' in shown
        # The worklist serves the person's grade too.
        listed = client.get("/leads?grade=D").text
        assert f'name="lead" value="{lead.id}"' in listed
        cleared = client.post(f"/leads/{lead.id}/grade/clear", data={"csrf_token": token})
        assert cleared.status_code == 303
        after = client.get(cleared.headers["location"]).text
        assert "Grade override cleared" in after
        assert 'grade-a" title="grade A" data-grade>A</span>' in after
        assert "cleared by writer@example.com" in after  # the history of grades set by hand
    with session_scope(scored.engine) as session:
        overrides = session.scalars(select(GradeOverride)).all()
    assert [(o.grade, o.set_by, o.cleared_by) for o in overrides] == [
        ("D", "writer@example.com", "writer@example.com")
    ]


def test_a_writer_undoes_a_merge(scored: Workspace, site: Site) -> None:
    merge = _merged(scored)
    with site.client("writer") as client:
        page = client.get(f"/leads/{merge.kept_lead_id}")
        assert f'name="merge_id" value="{merge.id}"' in page.text
        answer = client.post(
            f"/leads/{merge.kept_lead_id}/unmerge",
            data={"csrf_token": csrf_of(page.text), "merge_id": str(merge.id)},
        )
        assert answer.status_code == 303
        assert answer.headers["location"].endswith(f"restored={merge.merged_lead_id}")
        after = client.get(answer.headers["location"]).text
        assert "Merge undone" in after
        assert f'href="/leads/{merge.merged_lead_id}"' in after
        assert f'name="merge_id" value="{merge.id}"' not in after
        # The lead is back at its own page; undoing it twice is refused.
        assert client.get(f"/leads/{merge.merged_lead_id}").status_code == 200
        again = client.post(
            f"/leads/{merge.kept_lead_id}/unmerge",
            data={"csrf_token": csrf_of(after), "merge_id": str(merge.id)},
        )
        assert again.status_code == 400
    with session_scope(scored.engine) as session:
        undone = session.get(LeadMerge, merge.id)
        assert undone is not None and undone.undone_at is not None


def test_rescore_and_enrich_queue_jobs_the_page_follows(scored: Workspace, site: Site) -> None:
    lead = _top_lead(scored)
    with site.client("writer") as client:
        token = csrf_of(client.get(f"/leads/{lead.id}").text)
        queued = {}
        for action, task in (("rescore", "score_leads"), ("enrich", "enrich_leads")):
            answer = client.post(f"/leads/{lead.id}/{action}", data={"csrf_token": token})
            assert answer.status_code == 303
            found = re.fullmatch(
                rf"/leads/{lead.id}\?done={action}&job=(\d+)", answer.headers["location"]
            )
            assert found, answer.headers["location"]
            queued[task] = int(found.group(1))
            page = client.get(answer.headers["location"]).text
            assert f"queued as job {queued[task]}" in page
            assert "data-job-status" in page
        with session_scope(scored.engine) as session:
            jobs = {
                j.id: j for j in session.scalars(select(Job).where(Job.id.in_(queued.values())))
            }
        assert jobs[queued["score_leads"]].task == "score_leads"
        assert jobs[queued["enrich_leads"]].arguments["lead_ids"] == [lead.id]
        # The status asks again until the job ends; then the page reloads to show it.
        deadline = time.monotonic() + 30
        while True:
            status = client.get(
                f"/leads/{lead.id}/jobs/{queued['score_leads']}", headers={"HX-Request": "true"}
            )
            assert status.status_code == 200 and "<html" not in status.text
            if "succeeded" in status.text:
                assert status.headers.get("hx-refresh") == "true"
                assert "hx-trigger" not in status.text
                break
            assert 'hx-trigger="every 1s"' in status.text
            assert time.monotonic() < deadline, status.text
            time.sleep(0.3)
        after = client.get(f"/leads/{lead.id}").text
        assert re.search(r"2 scores</span>", after)
        # Only a lead's jobs are shown there.
        with session_scope(scored.engine) as session:
            other = session.scalar(select(Job.id).where(Job.task == "import_file"))
        if other is not None:
            assert client.get(f"/leads/{lead.id}/jobs/{other}").status_code == 404
        assert client.get(f"/leads/{lead.id}/jobs/987654").status_code == 404


@pytest.fixture
def hostile(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace with a lead whose name, company and a custom column are markup, scored."""
    path = tmp_path / "hostile.csv"
    path.write_text(
        "first_name,last_name,email,company,title,notes\n"
        '<script>alert(1)</script>,"<b>Bold</b>",x@evil.example,'
        '"<img src=x onerror=alert(2)>",CEO,"<iframe src=//evil>"\n'
    )
    return load_scored(workspace, path, source="hostile")


def test_a_lead_named_script_shows_as_text(hostile: Workspace, site: Site) -> None:
    with session_scope(hostile.engine) as session:
        lead = session.scalar(select(Lead))
        assert lead is not None
        lead_id, company_id = lead.id, lead.company_id
    with site.client("reader") as client:
        pages = [
            client.get(f"/leads/{lead_id}").text,
            client.get("/leads").text,
            client.get("/accounts").text,
            client.get(f"/accounts/{company_id}").text,
        ]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Bold" not in html
    lead_page, worklist = pages[0], pages[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in lead_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in worklist
    assert "&lt;iframe src=//evil&gt;" in lead_page  # a custom column of the file
    assert "&lt;img src=x onerror=alert(2)&gt;" in pages[3]
    # Each field of the file shows in the lead's fields as text, where it came from beside it.
    fields = _fields(lead_page)
    assert fields["First name"][0] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert fields["Last name"][0] == "&lt;b&gt;Bold&lt;/b&gt;"
    assert fields["Full name"][0] == "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;Bold&lt;/b&gt;"
    assert fields["Company"][0] == "&lt;img src=x onerror=alert(2)&gt;"
    assert "hostile.csv" in fields["Company"][1]


def test_a_value_enrichment_found_says_which_provider_and_when(
    workspace: Workspace, site: Site, tmp_path: Path
) -> None:
    path = tmp_path / "bare.csv"
    path.write_text("first_name,last_name,email\nAda,Lovelace,ada@analytical-engines.co.uk\n")
    with session_scope(workspace.engine) as session:
        ingest_file(session, path=path, source="event")
    with session_scope(workspace.engine) as session:
        lead_id = session.scalar(select(Lead.id))
    with site.client("writer") as client:
        unscored = client.get(f"/leads/{lead_id}").text
        assert 'grade-none" title="not scored yet" data-grade>' in unscored
        assert "Not scored yet" in unscored and "<svg" not in unscored
        with session_scope(workspace.engine) as session:
            score_workspace(session)
        before = client.get(f"/leads/{lead_id}").text
        assert "enriched</span>" not in before
        answer = client.post(f"/leads/{lead_id}/enrich", data={"csrf_token": csrf_of(before)})
        job_id = int(answer.headers["location"].rsplit("job=", 1)[1])
        deadline = time.monotonic() + 30
        while "succeeded" not in client.get(f"/leads/{lead_id}/jobs/{job_id}").text:
            assert time.monotonic() < deadline
            time.sleep(0.3)
        after = client.get(f"/leads/{lead_id}").text
    by_builtin = '<span class="pill pill-ok">enriched</span> by <strong>builtin</strong>'
    # The company the lead works at: its name and country guessed from the email's domain.
    company = after.split('id="company"', 1)[1].split("</section>", 1)[0]
    country = re.search(r"<dt>Country</dt>\s*<dd>(.*?)</dd>", company, re.S)
    assert country and country.group(1).startswith("GB")
    assert by_builtin in country.group(1)
    assert re.search(r"enriched \d{4}-\d\d-\d\d \d\d:\d\d", country.group(1))
    assert "Analytical Engines" in after.split("</header>", 1)[0]
    # A value with no field of its own says so too; what the file gave names its file and row.
    fields = _fields(after)
    assert by_builtin in fields["email_status"][1]
    assert "bare.csv</a> row 1" in fields["Email"][1]
