"""clean_frame: canonical input fields to the silver columns, a quality score and its issues."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from leadrank.leads.clean import ISSUES, QUALITY_WEIGHTS, clean_frame
from leadrank.leads.fields import CLEAN_FIELDS, LEAD_INPUT_FIELDS

COMPLETE = {
    "external_id": "crm-1",
    "email": "Ada.Lovelace@Acme.com",
    "first_name": "ada",
    "last_name": "LOVELACE",
    "job_title": "VP of Sales",
    "phone": "(415) 555-0132",
    "linkedin_url": "https://www.linkedin.com/in/Ada-Lovelace/?trk=x",
    "city": "San  Francisco",
    "state": "CA",
    "country": "USA",
    "company_name": "Acme Inc",
    "website": "https://www.acme.com/about",
    "company_linkedin_url": "https://uk.linkedin.com/company/acme/about",
    "industry": "Software",
    "employees": "51-200",
    "revenue": "$10M-$50M",
    "lead_source": "Webinar",
    "lead_status": "Open",
    "created_at": "2026-03-04T10:20:30Z",
}


def frame_of(*rows: Mapping[str, str | None]) -> pl.DataFrame:
    """Rows with every input field, absent ones null (as a mapped source file gives them)."""
    return pl.DataFrame(
        [{name: row.get(name) for name in LEAD_INPUT_FIELDS} for row in rows],
        schema=dict.fromkeys(LEAD_INPUT_FIELDS, pl.String),
    )


def clean_one(**fields: str | None) -> dict[str, Any]:
    return clean_frame(frame_of(fields)).row(0, named=True)


def test_columns_order_and_types() -> None:
    out = clean_frame(frame_of(COMPLETE, {}))
    assert tuple(out.columns) == CLEAN_FIELDS
    schema = out.schema
    for column in ("email_valid", "email_free_mail", "email_disposable", "email_role"):
        assert schema[column] == pl.Boolean
    for column in ("employees", "employees_min", "employees_max"):
        assert schema[column] == pl.Int64
    for column in ("revenue", "revenue_min", "revenue_max", "quality_score"):
        assert schema[column] == pl.Float64
    assert schema["created_at"] == pl.Datetime("us", "UTC")
    assert schema["issues"] == pl.List(pl.String)
    text_columns = set(CLEAN_FIELDS) - {
        "email_valid",
        "email_free_mail",
        "email_disposable",
        "email_role",
        "employees",
        "employees_min",
        "employees_max",
        "revenue",
        "revenue_min",
        "revenue_max",
        "quality_score",
        "created_at",
        "issues",
    }
    assert all(schema[column] == pl.String for column in text_columns)


def test_a_complete_lead() -> None:
    row = clean_one(**COMPLETE)
    assert row == {
        "email": "ada.lovelace@acme.com",
        "email_valid": True,
        "email_domain": "acme.com",
        "email_free_mail": False,
        "email_disposable": False,
        "email_role": False,
        "phone_e164": "+14155550132",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "full_name": "Ada Lovelace",
        "job_title": "VP of Sales",
        "seniority": "vp",
        "department": "sales",
        "linkedin_url": "https://www.linkedin.com/in/ada-lovelace",
        "city": "San Francisco",
        "state": "CA",
        "country_code": "US",
        "company_name": "Acme Inc",
        "company_domain": "acme.com",
        "company_linkedin_url": "https://www.linkedin.com/company/acme",
        "industry": "Software",
        "employees_min": 51,
        "employees_max": 200,
        "employees": 126,
        "revenue_min": 10e6,
        "revenue_max": 50e6,
        "revenue": 30e6,
        "lead_source": "Webinar",
        "lead_status": "Open",
        "owner": None,
        "created_at": datetime(2026, 3, 4, 10, 20, 30, tzinfo=UTC),
        "quality_score": 1.0,
        "issues": [],
    }


def test_missing_input_columns_are_treated_as_empty() -> None:
    partial = pl.DataFrame({"email": ["ann@acme.io", None], "employees": ["10", "lots"]})
    out = clean_frame(partial)
    assert out.height == 2
    assert tuple(out.columns) == CLEAN_FIELDS
    assert out["email_valid"].to_list() == [True, False]
    assert out["employees"].to_list() == [10, None]
    assert out["phone_e164"].null_count() == 2
    assert out["issues"][1].to_list() == [
        "email_missing",
        "name_missing",
        "title_missing",
        "company_missing",
        "employees_unparsed",
    ]
    # The same rows with every other column present and null clean the same.
    full = frame_of({"email": "ann@acme.io", "employees": "10"}, {"employees": "lots"})
    assert clean_frame(full).equals(out)


def test_columns_that_are_not_input_fields_are_ignored() -> None:
    frame = pl.DataFrame({"email": ["ann@acme.io"], "favourite_colour": ["blue"]})
    assert tuple(clean_frame(frame).columns) == CLEAN_FIELDS


def test_non_text_input_columns_are_read_as_text() -> None:
    frame = pl.DataFrame({"employees": [250, None], "created_at": [1772619630, None]})
    out = clean_frame(frame)
    assert out["employees"].to_list() == [250, None]
    assert out["created_at"].to_list() == [datetime(2026, 3, 4, 10, 20, 30, tzinfo=UTC), None]


@pytest.mark.parametrize("height", [0, 1, 3])
def test_a_frame_with_no_columns_gives_its_height_of_empty_rows(height: int) -> None:
    out = clean_frame(pl.DataFrame(), height=height)
    assert out.height == height
    assert tuple(out.columns) == CLEAN_FIELDS
    assert out["issues"].null_count() == 0
    assert out["quality_score"].to_list() == [0.0] * height
    assert out["email_valid"].to_list() == [False] * height


def test_placeholders_are_null() -> None:
    row = clean_one(
        email="N/A",
        first_name="Select",
        last_name="unknown",
        job_title="-",
        phone="n/a",
        country="Select",
        company_name="NULL",
        industry="(blank)",
        employees="Unknown",
        created_at="N/A",
    )
    for column in ("email", "first_name", "last_name", "job_title", "company_name", "industry"):
        assert row[column] is None, column
    assert row["country_code"] is None
    assert row["employees"] is None
    assert row["created_at"] is None
    assert row["issues"] == [
        "email_missing",
        "name_missing",
        "title_missing",
        "company_missing",
    ]


@pytest.mark.parametrize(
    ("fields", "domain"),
    [
        ({"website": "https://www.acme.co.uk/x", "email": "ann@other.com"}, "acme.co.uk"),
        ({"email": "ann@mail.acme.co.uk"}, "acme.co.uk"),  # a business address
        ({"email": "ann@gmail.com"}, None),  # free mail says nothing about the employer
        ({"email": "ann@mailinator.com"}, None),  # nor does a disposable address
        ({"email": "ann at acme.com"}, None),
        ({"website": "https://www.linkedin.com/company/acme", "email": "a@acme.io"}, "acme.io"),
        ({"website": "nonsense", "email": "ann@gmail.com"}, None),
    ],
)
def test_company_domain(fields: dict[str, str], domain: str | None) -> None:
    assert clean_one(**fields)["company_domain"] == domain


def test_the_mobile_phone_fills_in_for_a_missing_or_invalid_phone() -> None:
    out = clean_frame(
        frame_of(
            {"phone": "12", "mobile_phone": "+44 7400 123456"},
            {"phone": None, "mobile_phone": "030 1234567", "country": "Germany"},
            {"phone": "(415) 555-0132", "mobile_phone": "+44 7400 123456", "country": "US"},
            {"phone": "12", "mobile_phone": "34"},
        )
    )
    assert out["phone_e164"].to_list() == [
        "+447400123456",
        "+49301234567",
        "+14155550132",
        None,
    ]
    assert ["phone_invalid" in issues for issues in out["issues"].to_list()] == [
        False,
        False,
        False,
        True,
    ]


def test_phones_are_read_with_the_leads_own_country() -> None:
    out = clean_frame(
        frame_of(
            {"phone": "020 7946 0958", "country": "United Kingdom"},
            {"phone": "020 7946 0958", "country": "Deutschland"},
            {"phone": "020 7946 0958"},
        )
    )
    assert out["phone_e164"].to_list() == ["+442079460958", None, None]


def test_quality_orders_business_above_free_mail_above_a_name_only() -> None:
    gmail = {**COMPLETE, "email": "ada.lovelace@gmail.com"}
    role = {**COMPLETE, "email": "info@acme.com"}
    name_only = {"first_name": "Ada", "last_name": "Lovelace"}
    scores = clean_frame(frame_of(COMPLETE, gmail, role, name_only, {}))["quality_score"]
    complete, free, shared, named, empty = scores.to_list()
    assert complete == 1.0
    assert complete > free > named > empty == 0.0
    assert free == shared == pytest.approx(1.0 - QUALITY_WEIGHTS["email"] / 2)
    assert named == pytest.approx(QUALITY_WEIGHTS["name"])


def test_quality_counts_nothing_for_an_unreachable_address() -> None:
    scores = clean_frame(
        frame_of(
            {**COMPLETE, "email": "x@mailinator.com"},
            {**COMPLETE, "email": "jane at acme.com"},
            {**COMPLETE, "email": None},
        )
    )["quality_score"].to_list()
    assert scores == [pytest.approx(1.0 - QUALITY_WEIGHTS["email"])] * 3


def test_quality_scores_are_between_zero_and_one() -> None:
    rows = [COMPLETE, {}, {"email": "info@acme.com"}, {"phone": "+1 415 555 0132"}]
    scores = clean_frame(frame_of(*rows))["quality_score"]
    assert scores.null_count() == 0
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert sum(QUALITY_WEIGHTS.values()) == pytest.approx(1.0)


ISSUE_FREE = {
    "email": "ada@acme.com",
    "full_name": "Ada Lovelace",
    "job_title": "CTO",
    "company_name": "Acme",
}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, []),
        ({"email": None}, ["email_missing"]),
        ({"email": "jane at acme.com"}, ["email_invalid"]),
        ({"email": "john.doe@"}, ["email_invalid"]),
        ({"email": "ann@gmail.com"}, ["email_free_mail"]),
        ({"email": "x@mailinator.com"}, ["email_disposable"]),
        ({"email": "info@acme.com"}, ["email_role"]),
        ({"phone": "12345"}, ["phone_invalid"]),
        ({"phone": "(415) 555-0132"}, ["phone_invalid"]),  # no country to read it by
        ({"phone": "(415) 555-0132", "country": "US"}, []),
        ({"full_name": None}, ["name_missing"]),
        ({"full_name": None, "last_name": "Lovelace"}, []),
        ({"job_title": "Select"}, ["title_missing"]),
        ({"company_name": None}, []),  # the business email names the company
        ({"company_name": None, "email": "ann@gmail.com"}, ["email_free_mail", "company_missing"]),
        ({"country": "Atlantis"}, ["country_unknown"]),
        ({"country": "Austin, TX"}, ["country_unknown"]),
        ({"website": "not a website"}, ["website_invalid"]),
        ({"linkedin_url": "ada-lovelace"}, ["linkedin_invalid"]),
        ({"employees": "lots"}, ["employees_unparsed"]),
        ({"revenue": "undisclosed"}, ["revenue_unparsed"]),
        ({"created_at": "yesterday"}, ["created_at_invalid"]),
        (
            {"email": "info@", "phone": "1", "employees": "many", "created_at": "soon"},
            ["email_invalid", "phone_invalid", "employees_unparsed", "created_at_invalid"],
        ),
    ],
)
def test_issues(fields: dict[str, str | None], expected: list[str]) -> None:
    assert clean_one(**{**ISSUE_FREE, **fields})["issues"] == expected


def test_an_empty_row_is_missing_what_a_lead_needs() -> None:
    assert clean_one()["issues"] == [
        "email_missing",
        "name_missing",
        "title_missing",
        "company_missing",
    ]


def test_issues_are_never_null_and_always_known_codes() -> None:
    out = clean_frame(frame_of(COMPLETE, {}, {"email": "x"}, {"phone": "1"}))
    assert out["issues"].null_count() == 0
    assert {code for issues in out["issues"] for code in issues} <= set(ISSUES)
    assert out["issues"][0].to_list() == []


def messy_rows() -> list[dict[str, str | None]]:
    emails = ["Ada@Acme.com", " Bob <bob@gmail.com> ", "info@acme.com", "jane at acme.com", None]
    phones = ["(415) 555-0132", "+44 20 7946 0958", "030 1234567", "12", None]
    countries = ["USA", "UK", "Deutschland", "Austin, TX", "Select"]
    titles = ["VP of Sales", "Head of Growth", "Software Engineer", "N/A", None]
    sizes = ["51-200", "10k+", "1.2k", "lots", None]
    dates = ["2026-03-04T10:20:30Z", "03/04/2026", "1772619630", "not a date", None]
    return [
        {
            "email": emails[i % 5],
            "phone": phones[(i * 3) % 5],
            "country": countries[(i * 7) % 5],
            "job_title": titles[(i * 2) % 5],
            "employees": sizes[(i + 1) % 5],
            "created_at": dates[(i * 4) % 5],
            "full_name": f"person {i % 7}",
            "website": ["acme.com", None, "https://www.example.co.uk"][i % 3],
        }
        for i in range(60)
    ]


def test_cleaning_is_deterministic_and_independent_of_chunking() -> None:
    frame = frame_of(*messy_rows())
    whole = clean_frame(frame)
    assert clean_frame(frame).equals(whole)
    for cut in (1, 17, 59):
        chunks = pl.concat([clean_frame(frame.slice(0, cut)), clean_frame(frame.slice(cut))])
        assert chunks.equals(whole), cut
    reversed_rows = clean_frame(frame.reverse()).reverse()
    assert reversed_rows.equals(whole)
