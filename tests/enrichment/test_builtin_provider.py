"""The offline provider: email type, company guesses, countries, titles and size bands."""

from __future__ import annotations

import pytest

from leadrank.enrichment.providers.base import EnrichmentQuery, Provider
from leadrank.enrichment.providers.builtin import BuiltinProvider, company_name_of, size_band

builtin = BuiltinProvider()


def test_it_is_a_provider_that_costs_nothing() -> None:
    assert isinstance(builtin, Provider)
    assert builtin.cost_per_call == 0 and builtin.rate_limit is None


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        (
            "Ann.Lee@gmail.com",
            {"email_free_mail": True, "email_disposable": False, "email_role": False},
        ),
        ("x@mailinator.com", {"email_free_mail": False, "email_disposable": True}),
        ("sales@acme-robotics.com", {"email_free_mail": False, "email_role": True}),
    ],
)
def test_email_type(email: str, expected: dict[str, bool]) -> None:
    answer = builtin.enrich(EnrichmentQuery(email=email), "email")
    assert answer.fields["email_status"] == "unknown"  # only a verifier knows deliverability
    assert {k: answer.fields[k] for k in expected} == expected
    assert answer.confidence < 0.7  # a vendor configured after it is still asked


def test_an_impossible_address_is_surely_undeliverable() -> None:
    answer = builtin.enrich(EnrichmentQuery(email="not an address"), "email")
    assert answer.fields == {"email_status": "undeliverable"} and answer.confidence == 1.0


def test_company_guessed_from_a_business_email_not_a_free_one() -> None:
    business = builtin.enrich(EnrichmentQuery(email="ann@sales.acme-robotics.co.uk"), "company")
    assert business.fields == {
        "domain": "acme-robotics.co.uk",
        "company_name": "Acme Robotics",
        "country_code": "GB",
    }
    assert builtin.enrich(EnrichmentQuery(email="ann@gmail.com"), "company").fields == {}
    german = builtin.enrich(EnrichmentQuery(domain="https://www.siemens.de/x"), "company")
    assert german.fields["country_code"] == "DE"
    assert "country_code" not in builtin.enrich(EnrichmentQuery(domain="acme.io"), "company").fields


def test_person_from_title_and_phone() -> None:
    query = EnrichmentQuery(job_title="VP of Sales Operations", phone="+49 30 901820")
    fields = builtin.enrich(query, "person").fields
    assert fields == {"seniority": "vp", "department": "sales", "country_code": "DE"}
    assert not builtin.can_answer(EnrichmentQuery(email="a@b.com"), "person")


@pytest.mark.parametrize(
    ("employees", "band"),
    [(1, "1-10"), (11, "11-50"), (200, "51-200"), (201, "201-500"), (20000, "10001+")],
)
def test_size_bands(employees: int, band: str) -> None:
    assert size_band(employees) == band
    assert (
        builtin.enrich(EnrichmentQuery(employees=employees), "company").fields["size_band"] == band
    )


def test_company_names_from_labels() -> None:
    assert company_name_of("acme-robotics.com") == "Acme Robotics"
    assert company_name_of("3m.com") == "3m"
