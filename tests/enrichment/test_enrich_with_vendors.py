"""`leadrank enrich leads` with every vendor configured from the environment, against the
fake vendors over HTTP: the waterfall, the answers on the lead and its company, a vendor
that fails mid-run, and a second run that costs nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from leadrank.db.engine import session_scope
from leadrank.enrichment.providers.fake_vendors import KEYS, VENDORS, FakeVendors, serve
from leadrank.ingest.service import ingest_records
from leadrank.orm import Company, EnrichmentAttempt, Lead, ProviderSpend
from tests.conftest import CliResult, Workspace

PEOPLE = [
    {"email": "ada.lovelace@acme.com", "first_name": "Ada", "last_name": "Lovelace"},
    {
        "email": "grace.hopper@globex.de",
        "first_name": "Grace",
        "last_name": "Hopper",
        "job_title": "CTO",
    },
]


@pytest.fixture
def vendors(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeVendors]:
    """The fake vendors on 127.0.0.1, each configured with its key and the fake's URL."""
    fake = FakeVendors()
    with serve(fake) as base:
        monkeypatch.setenv(
            "LEADRANK_ENRICHMENT_BASE_URLS", json.dumps(dict.fromkeys(VENDORS, base))
        )
        for vendor in VENDORS:
            monkeypatch.setenv(f"LEADRANK_{vendor.upper()}_API_KEY", KEYS[vendor])
        yield fake


def test_enrich_with_every_vendor(
    workspace: Workspace, vendors: FakeVendors, cli: Callable[..., CliResult]
) -> None:
    with session_scope(workspace.engine) as session:
        ingest_records(session, records=PEOPLE, source="crm", kind="leads", name="people")
    vendors.faults.add("apollo", "server_error", times=1)  # retried, not lost
    done = cli("enrich", "leads")
    assert done.exit_code == 0, done.stderr
    assert (
        "enriching 2 leads (company, person, email) with builtin, clearbit, apollo" in done.stdout
    )
    with session_scope(workspace.engine) as session:
        ada = session.scalars(select(Lead).where(Lead.email == "ada.lovelace@acme.com")).one()
        grace = session.scalars(select(Lead).where(Lead.email == "grace.hopper@globex.de")).one()
        assert ada.job_title == "VP of Engineering" and ada.seniority == "vp"
        assert ada.city == "Austin" and (ada.enrichment or {})["job_title"]["provider"] == "apollo"
        assert grace.job_title == "CTO"  # imported: kept
        assert (ada.attributes or {}).get("email_status") == "deliverable"
        company = session.get(Company, ada.company_id) if ada.company_id else None
        assert company is not None and company.industry and company.employees
        # The first vendor of the company waterfall sure enough answered, and said so.
        assert (company.enrichment or {})["employees"]["provider"] == "clearbit"
        retried = session.scalars(
            select(EnrichmentAttempt).where(
                EnrichmentAttempt.provider == "apollo", EnrichmentAttempt.tries == 2
            )
        ).all()
        spent = {s.provider: s.credits for s in session.scalars(select(ProviderSpend))}
    assert len(retried) == 1 and retried[0].status == "found"
    assert spent["apollo"] >= 1 and spent["hunter"] == 2
    calls = len(vendors.calls)
    again = cli("enrich", "leads", "--refresh-days", "0")
    assert again.exit_code == 0, again.stderr
    assert len(vendors.calls) == calls  # every answer came from the cache
    shown = cli("enrich", "providers")
    assert "set" in shown.stdout and "/ 1000" in shown.stdout
