"""Header mapping: vendor exports map by name, mapping files override, nothing is dropped."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from leadrank.errors import BadInput
from leadrank.leads.column_mapping import (
    apply_mapping,
    attributes_json,
    auto_map,
    load_mapping_file,
)
from leadrank.leads.header_synonyms import header_key, snake_case

APOLLO = [
    "First Name",
    "Last Name",
    "Title",
    "Company",
    "Company Name for Emails",
    "Email",
    "Email Status",
    "Seniority",
    "Departments",
    "Work Direct Phone",
    "Mobile Phone",
    "Corporate Phone",
    "# Employees",
    "Industry",
    "Person Linkedin Url",
    "Website",
    "Company Linkedin Url",
    "City",
    "State",
    "Country",
    "Annual Revenue",
    "Apollo Contact Id",
    "Apollo Account Id",
    "Keywords",
    "Technologies",
]
HUBSPOT = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Job Title",
    "Company Name",
    "Website URL",
    "Country/Region",
    "State/Region",
    "City",
    "Lifecycle Stage",
    "Lead Status",
    "Create Date",
    "Number of Employees",
    "Annual Revenue",
    "Industry",
    "Notes",
]
SALESNAV = [
    "firstName",
    "lastName",
    "fullName",
    "title",
    "companyName",
    "companyUrl",
    "profileUrl",
    "location",
    "industry",
    "companySize",
]
INSTANTLY = [
    "email",
    "firstName",
    "lastName",
    "companyName",
    "website",
    "phone",
    "personalization",
    "status",
    "campaign",
]
SALESFORCE = [
    "Lead ID",
    "First Name",
    "Last Name",
    "Title",
    "Company / Account",
    "Email",
    "Phone",
    "Mobile",
    "Lead Source",
    "No. of Employees",
    "Annual Revenue",
    "Country",
    "Website",
]


def test_header_key_and_snake_case() -> None:
    assert header_key("E-mail Address") == header_key("email_address") == header_key("emailAddress")
    assert header_key("# Employees") == "employees"
    assert snake_case("Webinar Attended") == "webinar_attended"
    assert snake_case("replyReceived") == "reply_received"


def test_apollo_export() -> None:
    mapping = auto_map(APOLLO, "leads")
    assert mapping.fields["email"] == ["Email"]
    assert mapping.fields["job_title"] == ["Title"]
    assert mapping.fields["phone"] == ["Work Direct Phone"]
    assert mapping.fields["mobile_phone"] == ["Mobile Phone"]
    assert mapping.fields["company_name"] == ["Company", "Company Name for Emails"]
    assert mapping.fields["employees"] == ["# Employees"]
    assert mapping.fields["linkedin_url"] == ["Person Linkedin Url"]
    assert mapping.fields["company_linkedin_url"] == ["Company Linkedin Url"]
    assert mapping.fields["external_id"] == ["Apollo Contact Id"]
    assert {
        "Keywords",
        "Technologies",
        "Corporate Phone",
        "Apollo Account Id",
        "Email Status",
    } <= set(mapping.attributes)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            HUBSPOT,
            {
                "external_id": "Record ID",
                "country": "Country/Region",
                "employees": "Number of Employees",
                "created_at": "Create Date",
                "website": "Website URL",
            },
        ),
        (
            SALESNAV,
            {
                "full_name": "fullName",
                "linkedin_url": "profileUrl",
                "company_linkedin_url": "companyUrl",
                "country": "location",
                "employees": "companySize",
            },
        ),
        (
            INSTANTLY,
            {
                "email": "email",
                "first_name": "firstName",
                "company_name": "companyName",
                "lead_status": "status",
            },
        ),
        (
            SALESFORCE,
            {
                "external_id": "Lead ID",
                "company_name": "Company / Account",
                "mobile_phone": "Mobile",
                "employees": "No. of Employees",
                "lead_source": "Lead Source",
            },
        ),
    ],
)
def test_vendor_exports(headers: list[str], expected: dict[str, str]) -> None:
    mapping = auto_map(headers, "leads")
    for field, column in expected.items():
        assert mapping.fields[field][0] == column


def test_every_column_is_mapped_or_kept() -> None:
    headers = [*HUBSPOT, "Favourite Colour"]
    mapping = auto_map(headers, "leads")
    used = {c for columns in mapping.fields.values() for c in columns} | set(mapping.attributes)
    assert used == set(headers)
    assert "Favourite Colour" in mapping.attributes


def test_mapping_file_overrides_and_ignores(tmp_path: Path) -> None:
    path = tmp_path / "map.toml"
    path.write_text('[columns]\n"Contact Mail" = "email"\n"Notes" = "-"\n')
    explicit = load_mapping_file(path)
    mapping = auto_map(["Contact Mail", "Email", "Notes"], "leads", explicit)
    assert mapping.fields["email"] == ["Contact Mail"]
    assert mapping.ignored == ["Notes"]
    assert mapping.attributes == ["Email"]


def test_mapping_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"columns": {"X": "favourite_colour"}}))
    with pytest.raises(BadInput, match="unknown field"):
        auto_map(["X"], "leads", load_mapping_file(bad))
    with pytest.raises(BadInput, match="not in the file"):
        auto_map(["Y"], "leads", {"X": "email"})
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(BadInput, match="cannot parse"):
        load_mapping_file(tmp_path / "broken.json")


def test_apply_mapping_coalesces_in_priority_order() -> None:
    frame = pl.DataFrame(
        {
            "Work Direct Phone": ["", " 111 ", None],
            "Mobile Phone": ["9", "8", "7"],
            "First Phone": ["222", None, "333"],
        }
    )
    mapping = auto_map(frame.columns, "leads")
    assert mapping.fields["phone"] == ["Work Direct Phone", "First Phone"]
    assert apply_mapping(frame, mapping)["phone"].to_list() == ["222", "111", "333"]


def test_attributes_json_leaves_out_empty_cells_and_keeps_tricky_text() -> None:
    frame = pl.DataFrame(
        {"A": [None, "x", ""], "B": [":null", '"q":null', None], "C": ["1", None, None]}
    )
    mapping = auto_map(frame.columns, "leads")
    decoded = [json.loads(t) for t in attributes_json(frame, mapping).to_list()]
    assert decoded == [{"B": ":null", "C": "1"}, {"A": "x", "B": '"q":null'}, {}]


def test_events_mapping() -> None:
    mapping = auto_map(["lead_email", "event_type", "timestamp", "campaign_name", "step"], "events")
    assert mapping.fields == {
        "email": ["lead_email"],
        "event_type": ["event_type"],
        "occurred_at": ["timestamp"],
    }
    assert mapping.attributes == ["campaign_name", "step"]
