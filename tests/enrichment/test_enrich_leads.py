"""Enriching stored leads: answers land with provenance, imported values are kept unless a
provider is ranked above them, every attempt is stored, and the job and CLI run it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from leadrank.config import get_settings
from leadrank.db.engine import session_scope
from leadrank.enrichment import service
from leadrank.enrichment.cache import AnswerCache
from leadrank.enrichment.gate import ProviderGate
from leadrank.enrichment.providers.base import RetriableError
from leadrank.enrichment.providers.builtin import BuiltinProvider
from leadrank.enrichment.providers.fake import FakeProvider
from leadrank.enrichment.waterfall import Waterfall
from leadrank.ingest.service import ingest_records
from leadrank.jobs import defer as jobs
from leadrank.jobs import service as job_rows
from leadrank.jobs.runner import JobRunner
from leadrank.orm import Company, EnrichmentAttempt, Lead
from tests.conftest import CliResult, Workspace

PEOPLE = [
    {
        "email": "ann.lee@acme-robotics.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "job_title": "Head of Sales",
        "company": "Acme",
    },
    {"email": "bob@gmail.com", "first_name": "Bob", "last_name": "Stone", "city": "Leeds"},
]
DIRECTORY = {
    "ann.lee@acme-robotics.com": {
        "person": {
            "job_title": "VP Sales",
            "city": "Berlin",
            "linkedin_url": "https://www.linkedin.com/in/annlee",
        },
        "company": {
            "company_name": "Acme Robotics GmbH",
            "industry": "Robotics",
            "employees": 140,
            "founded_year": 2011,
        },
    },
    "bob@gmail.com": {"person": {"city": "York", "seniority": "manager"}},
}


def _ingest(workspace: Workspace) -> dict[str, int]:
    with session_scope(workspace.engine) as session:
        ingest_records(session, records=PEOPLE, source="crm", kind="leads", name="people")
    with session_scope(workspace.engine) as session:
        return {lead.email: lead.id for lead in session.scalars(select(Lead))}


def _waterfall(workspace: Workspace, vendor: FakeProvider, name: str = "vendor") -> Waterfall:
    order = {"person": ["builtin", name], "company": ["builtin", name], "email": ["builtin"]}
    return Waterfall(
        {"builtin": BuiltinProvider(), name: vendor},
        order,
        gate=ProviderGate(workspace.engine, budget_of=lambda _: 100.0),
        cache=AnswerCache(workspace.engine),
    )


def test_answers_fill_gaps_and_keep_imported_values(workspace: Workspace) -> None:
    ids = _ingest(workspace)
    vendor = FakeProvider("vendor", directory=DIRECTORY)
    report = service.enrich_leads(
        workspace.engine,
        _waterfall(workspace, vendor),
        lead_ids=service.leads_to_enrich(workspace.engine),
        groups=["company", "person", "email"],
        precedence=["user", "vendor", "builtin"],
    )
    assert report.leads == 2 and report.fields["filled"] > 0 and report.fields["kept"] >= 2
    with session_scope(workspace.engine) as session:
        ann = session.get(Lead, ids["ann.lee@acme-robotics.com"])
        bob = session.get(Lead, ids["bob@gmail.com"])
        assert ann is not None and bob is not None
        assert ann.job_title == "Head of Sales"  # imported: the vendor's title does not replace it
        assert ann.city == "Berlin" and (ann.enrichment or {})["city"]["provider"] == "vendor"
        assert ann.linkedin_url == "https://www.linkedin.com/in/annlee"
        assert bob.city == "Leeds" and bob.seniority == "manager"
        company = session.get(Company, ann.company_id) if ann.company_id else None
        assert company is not None and company.industry == "Robotics" and company.employees == 140
        assert (company.attributes or {})["founded_year"] == 2011
        assert (company.enrichment or {})["industry"]["provider"] == "vendor"
        assert company.name == "Acme"  # imported: kept
        attempts = session.execute(
            select(EnrichmentAttempt.provider, EnrichmentAttempt.status, func.count()).group_by(
                EnrichmentAttempt.provider, EnrichmentAttempt.status
            )
        ).all()
    assert ("vendor", "found", 3) in [tuple(a) for a in attempts]
    # Enriched leads are not picked again until a refresh is asked for.
    assert service.leads_to_enrich(workspace.engine) == []
    # Enriched leads and companies take later imports as any others do.
    with session_scope(workspace.engine) as session:
        again = [{**PEOPLE[0], "job_title": "CRO"}]
        ingest_records(session, records=again, source="crm", kind="leads", name="again")
    with session_scope(workspace.engine) as session:
        ann = session.get(Lead, ids["ann.lee@acme-robotics.com"])
        assert ann is not None and ann.job_title == "CRO" and ann.city == "Berlin"


def test_a_provider_ranked_above_user_replaces_and_says_what_it_replaced(
    workspace: Workspace,
) -> None:
    ids = _ingest(workspace)
    vendor = FakeProvider("vendor", directory=DIRECTORY)
    service.enrich_leads(
        workspace.engine,
        _waterfall(workspace, vendor),
        lead_ids=[ids["bob@gmail.com"]],
        groups=["person"],
        precedence=["vendor", "user"],
    )
    with session_scope(workspace.engine) as session:
        bob = session.get(Lead, ids["bob@gmail.com"])
        assert bob is not None and bob.city == "York"
        stamp = (bob.enrichment or {})["city"]
        assert (stamp["provider"], stamp["value"], stamp["replaced"]) == ("vendor", "York", "Leeds")
    # A later import changes the city: the value is the user's again, and a provider ranked
    # below the user no longer replaces it.
    with session_scope(workspace.engine) as session:
        ingest_records(
            session,
            records=[{**PEOPLE[1], "city": "Hull"}],
            source="crm",
            kind="leads",
            name="again",
        )
    with session_scope(workspace.engine) as session:
        bob = session.get(Lead, ids["bob@gmail.com"])
        assert bob is not None and bob.city == "Hull"
    other = FakeProvider("other", directory={"bob@gmail.com": {"person": {"city": "Selby"}}})
    service.enrich_leads(
        workspace.engine,
        _waterfall(workspace, other, name="other"),
        lead_ids=[ids["bob@gmail.com"]],
        groups=["person"],
        precedence=["user", "other", "vendor"],  # "other" outranks the vendor, not the user
    )
    with session_scope(workspace.engine) as session:
        bob = session.get(Lead, ids["bob@gmail.com"])
        assert bob is not None and bob.city == "Hull"


def test_leads_a_run_left_unfinished_are_picked_again(workspace: Workspace) -> None:
    ids = _ingest(workspace)
    vendor = FakeProvider("vendor", directory=DIRECTORY)
    vendor.fail_next(RetriableError("down", status=503))
    waterfall = _waterfall(workspace, vendor)
    waterfall.max_tries = 1
    report = service.enrich_leads(
        workspace.engine,
        waterfall,
        lead_ids=sorted(ids.values()),
        groups=["person"],
        precedence=["user"],
        threads=1,  # the first call fails: Ann's, the first lead
    )
    assert report.unfinished == [ids["ann.lee@acme-robotics.com"]]
    assert service.leads_to_enrich(workspace.engine) == report.unfinished
    again = service.enrich_leads(
        workspace.engine,
        waterfall,
        lead_ids=report.unfinished,
        groups=["person"],
        precedence=["user"],
    )
    assert again.unfinished == [] and service.leads_to_enrich(workspace.engine) == []


def test_the_job_enriches_in_its_own_transactions(workspace: Workspace) -> None:
    ids = _ingest(workspace)
    with session_scope(workspace.engine) as session:
        job = jobs.defer(
            session,
            task="enrich_leads",
            arguments={"lead_ids": list(ids.values()), "groups": ["email"]},
        )
    JobRunner(workspace.engine, get_settings()).run_until_idle()
    with session_scope(workspace.engine) as session:
        done = job_rows.get_job(session, job.id)
        bob = session.get(Lead, ids["bob@gmail.com"])
    assert done.status == "succeeded", done.error
    assert done.result is not None and done.result["leads"] == 2
    assert bob is not None and bob.email_free_mail is True


def test_the_cli_enriches_and_shows_providers(
    workspace: Workspace, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    _ingest(workspace)
    done = cli("enrich", "leads", "--group", "email", "--group", "company")
    assert done.exit_code == 0, done.stderr
    assert "enriching 2 leads (company, email) with builtin" in done.stdout
    assert "2 leads:" in done.stdout
    shown = cli("enrich", "providers")
    assert shown.exit_code == 0 and "apollo" in shown.stdout and "not set" in shown.stdout
    wrong = cli("enrich", "leads", "--group", "firmographics")
    assert wrong.exit_code == 1 and "unknown field group firmographics" in wrong.stderr
    missing = cli("enrich", "leads", "999")
    assert missing.exit_code == 1 and "no lead 999" in missing.stderr


def test_enriched_leads_get_their_quality_issues_and_rescore(
    workspace: Workspace, cli: Callable[..., CliResult]
) -> None:
    from leadrank.enrichment.setup import enrich_with_settings
    from leadrank.orm import Job

    ids = _ingest(workspace)
    bob_id = ids["bob@gmail.com"]
    with session_scope(workspace.engine) as session:
        before = session.get(Lead, bob_id)
        assert before is not None and "title_missing" in before.issues
        quality = before.quality_score
    vendor = FakeProvider(
        "apollo", directory={"bob@gmail.com": {"person": {"job_title": "Sales Manager"}}}
    )
    providers = {"builtin": BuiltinProvider(), "apollo": vendor}
    report = enrich_with_settings(
        workspace.engine, get_settings(), lead_ids=[bob_id], groups=["person"], providers=providers
    )
    assert report.changed == [bob_id] and report.rescore_job is not None
    with session_scope(workspace.engine) as session:
        bob = session.get(Lead, bob_id)
        queued = session.get(Job, report.rescore_job)
    assert bob is not None and bob.job_title == "Sales Manager"
    assert "title_missing" not in bob.issues, "the issue the title settles is gone"
    assert bob.quality_score is not None and quality is not None and bob.quality_score > quality
    assert queued is not None and queued.task == "score_leads" and queued.status == "queued"

    for _ in range(2):  # the second run may read the new title (seniority); the third finds nothing
        again = enrich_with_settings(
            workspace.engine,
            get_settings(),
            lead_ids=[bob_id],
            groups=["person"],
            providers=providers,
        )
    assert again.changed == [] and again.rescore_job is None, "nothing new: no rescore"

    shown = cli("leads", "show", str(bob_id))
    assert shown.exit_code == 0, shown.stderr
    line = next(line for line in shown.stdout.splitlines() if "Sales Manager" in line)
    assert "apollo, enriched 20" in line, line
