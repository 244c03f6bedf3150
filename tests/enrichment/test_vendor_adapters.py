"""The vendor adapters against the fake vendor server over real HTTP on 127.0.0.1: what each
finds mapped to canonical fields, what a miss looks like, what each asks for and how."""

from __future__ import annotations

import httpx
import pytest

from leadrank.enrichment.providers.apollo import ApolloProvider
from leadrank.enrichment.providers.base import (
    GROUP_FIELDS,
    EnrichmentQuery,
    FieldGroup,
    PermanentError,
    Provider,
    RateLimit,
    RetriableError,
)
from leadrank.enrichment.providers.clearbit import ClearbitProvider
from leadrank.enrichment.providers.fake_vendors import KEYS, FakeVendors
from leadrank.enrichment.providers.hunter import HunterProvider
from leadrank.enrichment.providers.pdl import PdlProvider

ADA = EnrichmentQuery(email="ada.lovelace@acme.com")
ACME = EnrichmentQuery(domain="acme.com")


def test_the_fake_listens_on_loopback_only(base_url: str) -> None:
    assert base_url.startswith("http://127.0.0.1:")


def test_every_adapter_is_a_provider_with_its_documented_limit(client: httpx.Client) -> None:
    adapters: list[Provider] = [
        ApolloProvider(client, api_key="k"),
        HunterProvider(client, api_key="k"),
        PdlProvider(client, api_key="k"),
        ClearbitProvider(client, api_key="k"),
    ]
    assert all(isinstance(adapter, Provider) for adapter in adapters)
    assert {a.name: (sorted(a.groups), a.rate_limit, a.cost_per_call) for a in adapters} == {
        "apollo": (["company", "person"], RateLimit(50, 60.0), 1.0),
        "hunter": (["company", "email"], RateLimit(5, 1.0), 1.0),
        "pdl": (["company", "person"], RateLimit(100, 60.0), 1.0),
        "clearbit": (["company"], RateLimit(600, 60.0), 1.0),
    }


# Apollo


def test_apollo_person_found_by_email(
    client: httpx.Client, base_url: str, fake: FakeVendors
) -> None:
    apollo = ApolloProvider(client, api_key=KEYS["apollo"], base_url=base_url)
    result = apollo.enrich(ADA, "person")
    assert result.fields == {
        "full_name": "Ada Lovelace",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "job_title": "VP of Engineering",
        "seniority": "vp",
        "department": "engineering",
        "linkedin_url": "https://www.linkedin.com/in/ada-lovelace",
        "country_code": "US",
        "city": "Austin",
        "email": "ada.lovelace@acme.com",
    }
    assert set(result.fields) <= set(GROUP_FIELDS["person"])
    assert (result.confidence, result.cost) == (0.9, 1.0)
    assert result.raw is not None and result.raw["person"]["title"] == "VP of Engineering"
    [call] = fake.calls_to("apollo")
    assert (call.method, call.path, call.params) == (
        "POST",
        "/api/v1/people/match",
        {"email": "ada.lovelace@acme.com"},
    )


def test_apollo_person_found_by_name_and_company_is_less_sure(
    client: httpx.Client, base_url: str
) -> None:
    apollo = ApolloProvider(client, api_key=KEYS["apollo"], base_url=base_url)
    query = EnrichmentQuery(full_name="Grace Hopper", company_name="Globex Automation")
    result = apollo.enrich(query, "person")
    # Apollo says "c_suite"; the title decides, as in lead cleaning.
    assert result.fields["seniority"] == "c_level"
    assert result.fields["country_code"] == "DE"
    assert result.confidence == 0.7


def test_apollo_company_by_domain(client: httpx.Client, base_url: str) -> None:
    apollo = ApolloProvider(client, api_key=KEYS["apollo"], base_url=base_url)
    result = apollo.enrich(ACME, "company")
    assert result.fields == {
        "company_name": "Acme Analytics",
        "domain": "acme.com",
        "industry": "computer software",
        "employees": 230,
        "revenue": 42_000_000.0,
        "country_code": "US",
        "city": "Austin",
        "company_linkedin_url": "https://www.linkedin.com/company/acme-analytics",
        "founded_year": 2012,
        "technologies": ["Salesforce", "HubSpot", "Amazon AWS"],
    }
    assert set(result.fields) <= set(GROUP_FIELDS["company"])
    assert result.confidence == 0.9


def test_apollo_company_read_off_the_person_when_there_is_no_domain(
    client: httpx.Client, base_url: str, fake: FakeVendors
) -> None:
    apollo = ApolloProvider(client, api_key=KEYS["apollo"], base_url=base_url)
    result = apollo.enrich(EnrichmentQuery(email="grace.hopper@globex.de"), "company")
    assert (result.fields["company_name"], result.fields["country_code"]) == (
        "Globex Automation",
        "DE",
    )
    assert result.confidence == 0.8
    assert [call.path for call in fake.calls_to("apollo")] == ["/api/v1/people/match"]


def test_apollo_misses_are_empty_and_free(client: httpx.Client, base_url: str) -> None:
    apollo = ApolloProvider(client, api_key=KEYS["apollo"], base_url=base_url)
    person = apollo.enrich(EnrichmentQuery(email="nobody@acme.com"), "person")
    company = apollo.enrich(EnrichmentQuery(domain="unknown-co.io"), "company")
    assert (person.found, person.cost, company.found, company.cost) == (False, 0.0, False, 0.0)


def test_apollo_can_answer(client: httpx.Client) -> None:
    apollo = ApolloProvider(client, api_key="k")
    assert apollo.can_answer(ADA, "person")
    assert apollo.can_answer(EnrichmentQuery(linkedin_url="linkedin.com/in/x"), "person")
    assert apollo.can_answer(
        EnrichmentQuery(first_name="A", last_name="B", domain="a.com"), "person"
    )
    assert not apollo.can_answer(EnrichmentQuery(first_name="A", last_name="B"), "person")
    assert apollo.can_answer(ACME, "company")
    assert not apollo.can_answer(ADA, "email")
    assert not apollo.can_answer(EnrichmentQuery(company_name="Acme"), "company")


# Hunter


@pytest.mark.parametrize(
    ("email", "fields", "confidence"),
    [
        ("ada.lovelace@acme.com", ("deliverable", False, False, 96), 0.96),
        ("bounced@acme.com", ("undeliverable", False, False, 3), 0.97),
        ("grace.hopper@globex.de", ("risky", False, False, 72), 0.72),
        ("ada.lovelace@gmail.com", ("deliverable", True, False, 88), 0.88),
        ("throwaway@mailinator.com", ("risky", False, True, 40), 0.40),
    ],
)
def test_hunter_verdicts(
    client: httpx.Client,
    base_url: str,
    email: str,
    fields: tuple[str, bool, bool, int],
    confidence: float,
) -> None:
    hunter = HunterProvider(client, api_key=KEYS["hunter"], base_url=base_url)
    result = hunter.enrich(EnrichmentQuery(email=email), "email")
    names = ("email_status", "email_free_mail", "email_disposable", "email_score")
    assert result.fields == dict(zip(names, fields, strict=True))
    assert result.confidence == pytest.approx(confidence)
    assert result.cost == 1.0


def test_hunter_unknown_address_is_no_verdict(client: httpx.Client, base_url: str) -> None:
    hunter = HunterProvider(client, api_key=KEYS["hunter"], base_url=base_url)
    result = hunter.enrich(EnrichmentQuery(email="someone@acme.com"), "email")
    assert (result.found, result.cost) == (False, 0.0)
    assert result.raw is not None and result.raw["data"]["status"] == "unknown"


def test_hunter_sends_its_key_in_a_header_not_the_url(
    client: httpx.Client, base_url: str, fake: FakeVendors
) -> None:
    hunter = HunterProvider(client, api_key=KEYS["hunter"], base_url=base_url)
    hunter.enrich(ADA, "email")
    [call] = fake.calls_to("hunter")
    assert (call.path, call.params, call.status) == (
        "/v2/email-verifier",
        {"email": "ada.lovelace@acme.com"},
        200,
    )


def test_hunter_company_by_domain(client: httpx.Client, base_url: str) -> None:
    hunter = HunterProvider(client, api_key=KEYS["hunter"], base_url=base_url)
    result = hunter.enrich(EnrichmentQuery(domain="globex.de"), "company")
    assert result.fields == {
        "company_name": "Globex Automation",
        "domain": "globex.de",
        "industry": "Industrial Automation",
        "employees": 3000,  # the middle of Hunter's "1001-5000"
        "country_code": "DE",
        "city": "Munich",
        "company_linkedin_url": "https://www.linkedin.com/company/globex-automation",
        "technologies": ["sap", "microsoft-azure"],
    }
    assert result.confidence == 0.7
    missing = hunter.enrich(EnrichmentQuery(domain="unknown-co.io"), "company")
    assert (missing.found, missing.cost) == (False, 0.0)


def test_hunter_can_answer(client: httpx.Client) -> None:
    hunter = HunterProvider(client, api_key="k")
    assert hunter.can_answer(ADA, "email")
    assert not hunter.can_answer(EnrichmentQuery(email="not-an-address"), "email")
    assert hunter.can_answer(ACME, "company")
    assert not hunter.can_answer(ADA, "person")


# People Data Labs


def test_pdl_person_found(client: httpx.Client, base_url: str, fake: FakeVendors) -> None:
    pdl = PdlProvider(client, api_key=KEYS["pdl"], base_url=base_url)
    result = pdl.enrich(EnrichmentQuery(email="alan.turing@initech.co.uk"), "person")
    assert result.fields == {
        "full_name": "Alan Turing",
        "first_name": "Alan",
        "last_name": "Turing",
        "job_title": "data analyst",
        "seniority": "ic",
        "department": "data",
        "linkedin_url": "https://www.linkedin.com/in/alan-turing",
        "phone_e164": "+442079460958",
        "country_code": "GB",
        "city": "London",
        "email": "alan.turing@initech.co.uk",
    }
    assert (result.confidence, result.cost) == (0.6, 1.0)  # likelihood 6 of 10
    [call] = fake.calls_to("pdl")
    assert call.params == {
        "email": "alan.turing@initech.co.uk",
        "titlecase": "true",
        "min_likelihood": "6",
    }


def test_pdl_min_likelihood_turns_weak_matches_away(client: httpx.Client, base_url: str) -> None:
    strict = PdlProvider(client, api_key=KEYS["pdl"], base_url=base_url, min_likelihood=7)
    weak = strict.enrich(EnrichmentQuery(email="alan.turing@initech.co.uk"), "person")
    strong = strict.enrich(ADA, "person")
    assert (weak.found, weak.cost) == (False, 0.0)
    assert strong.confidence == 0.9 and strong.fields["seniority"] == "vp"
    with pytest.raises(ValueError, match="1-10"):
        PdlProvider(client, api_key="k", min_likelihood=11)


def test_pdl_person_by_linkedin_profile(client: httpx.Client, base_url: str) -> None:
    pdl = PdlProvider(client, api_key=KEYS["pdl"], base_url=base_url)
    query = EnrichmentQuery(linkedin_url="https://www.linkedin.com/in/grace-hopper/")
    result = pdl.enrich(query, "person")
    assert result.fields["email"] == "grace.hopper@globex.de"
    assert result.fields["phone_e164"] == "+498912345678"
    assert result.fields["seniority"] == "c_level"


def test_pdl_company_by_domain_and_by_name(client: httpx.Client, base_url: str) -> None:
    pdl = PdlProvider(client, api_key=KEYS["pdl"], base_url=base_url)
    result = pdl.enrich(ACME, "company")
    assert result.fields == {
        "company_name": "Acme Analytics",
        "domain": "acme.com",
        "industry": "computer software",
        "employees": 230,
        "revenue": 37_500_000.0,  # the middle of PDL's "$25M-$50M"
        "country_code": "US",
        "city": "Austin",
        "company_linkedin_url": "https://www.linkedin.com/company/acme-analytics",
        "founded_year": 2012,
    }
    assert result.confidence == 0.8
    by_name = pdl.enrich(EnrichmentQuery(company_name="Initech"), "company")
    assert (by_name.fields["domain"], by_name.fields["country_code"]) == ("initech.co.uk", "GB")


def test_pdl_not_found_is_an_empty_result(client: httpx.Client, base_url: str) -> None:
    pdl = PdlProvider(client, api_key=KEYS["pdl"], base_url=base_url)
    person = pdl.enrich(EnrichmentQuery(email="nobody@acme.com"), "person")
    company = pdl.enrich(EnrichmentQuery(domain="unknown-co.io"), "company")
    assert (person.found, person.raw, company.found) == (False, None, False)


def test_pdl_can_answer(client: httpx.Client) -> None:
    pdl = PdlProvider(client, api_key="k")
    assert pdl.can_answer(EnrichmentQuery(full_name="Ada Lovelace", domain="acme.com"), "person")
    assert not pdl.can_answer(EnrichmentQuery(full_name="Ada Lovelace"), "person")
    assert pdl.can_answer(EnrichmentQuery(company_name="Acme"), "company")
    assert not pdl.can_answer(ADA, "email")


# Clearbit


def test_clearbit_company_found(client: httpx.Client, base_url: str) -> None:
    clearbit = ClearbitProvider(client, api_key=KEYS["clearbit"], base_url=base_url)
    result = clearbit.enrich(EnrichmentQuery(domain="initech.co.uk"), "company")
    assert result.fields == {
        "company_name": "Initech",
        "domain": "initech.co.uk",
        "industry": "Financial Services",
        "employees": 126,  # the middle of Clearbit's "51-200", it gave no head count
        "revenue": 5_500_000.0,  # the middle of its "$1M-$10M" estimate
        "country_code": "GB",
        "city": "London",
        "company_linkedin_url": "https://www.linkedin.com/company/initech",
        "founded_year": 2016,
        "technologies": ["stripe"],
    }
    assert (result.confidence, result.cost) == (0.9, 1.0)


def test_clearbit_unknown_domain_and_bad_domain(client: httpx.Client, base_url: str) -> None:
    clearbit = ClearbitProvider(client, api_key=KEYS["clearbit"], base_url=base_url)
    assert not clearbit.enrich(EnrichmentQuery(domain="unknown-co.io"), "company").found
    with pytest.raises(PermanentError, match=r"query refused \(422\): Invalid domain") as refused:
        clearbit.enrich(EnrichmentQuery(domain="localhost"), "company")
    assert refused.value.status == 422
    assert not clearbit.can_answer(ADA, "company")
    assert not clearbit.can_answer(ACME, "person")


def test_queries_an_adapter_cannot_answer_make_no_call(
    client: httpx.Client, base_url: str, fake: FakeVendors
) -> None:
    hunter = HunterProvider(client, api_key=KEYS["hunter"], base_url=base_url)
    clearbit = ClearbitProvider(client, api_key=KEYS["clearbit"], base_url=base_url)
    assert not hunter.enrich(ACME, "email").found
    assert not clearbit.enrich(ADA, "company").found
    assert fake.calls == []


def test_a_wrong_key_is_refused_by_every_vendor(client: httpx.Client, base_url: str) -> None:
    adapters: list[tuple[Provider, EnrichmentQuery, FieldGroup]] = [
        (ApolloProvider(client, api_key="wrong-key", base_url=base_url), ADA, "person"),
        (HunterProvider(client, api_key="wrong-key", base_url=base_url), ADA, "email"),
        (PdlProvider(client, api_key="wrong-key", base_url=base_url), ADA, "person"),
        (ClearbitProvider(client, api_key="wrong-key", base_url=base_url), ACME, "company"),
    ]
    for adapter, query, group in adapters:
        with pytest.raises(PermanentError) as refused:
            adapter.enrich(query, group)
        assert (refused.value.status, refused.value.message) == (
            401,
            f"{adapter.name}: key refused (401)",
        )
        assert not isinstance(refused.value, RetriableError)
