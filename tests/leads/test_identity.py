"""Exact-key identity: grouping within a batch and matching existing leads."""

from __future__ import annotations

import polars as pl

from leadrank.leads.identity import lead_key_columns, resolve
from leadrank.normalize.company import company_name_key


def keys(*rows: dict[str, str | None]) -> pl.DataFrame:
    names = ("email", "linkedin", "ext", "phone", "name")
    return pl.DataFrame(
        [{n: r.get(n) for n in names} for r in rows], schema=dict.fromkeys(names, pl.String)
    )


def test_company_name_key_drops_case_accents_and_legal_suffixes() -> None:
    assert company_name_key("ACME, Inc.") == company_name_key("Acme Inc") == "acme"
    assert company_name_key("Société Générale SA") == "societe generale"
    assert company_name_key("Smith & Sons Ltd") == "smith and sons"
    assert company_name_key("Holdings Ltd") == "holdings ltd"
    assert company_name_key("") is None


def test_rows_sharing_a_strong_key_form_one_group() -> None:
    batch = keys(
        {"email": "a@x.com", "linkedin": "in/a"},
        {"linkedin": "in/a"},  # no email: joins row 0 through LinkedIn
        {"email": "b@x.com"},
    )
    result = resolve(batch, {}, [True, True, True])
    assert result.group[0] == result.group[1] != result.group[2]
    assert result.existing_lead == [None, None, None]


def test_a_shared_phone_never_merges_two_emails() -> None:
    batch = keys(
        {"email": "a@x.com", "phone": "+14155550100"},
        {"email": "b@x.com", "phone": "+14155550100"},
        {"phone": "+14155550100"},  # phone only: attaches to the first that registered it
    )
    result = resolve(batch, {}, [True] * 3)
    assert result.group[0] != result.group[1]
    assert result.group[2] == result.group[0]


def test_existing_leads_are_matched_by_the_strongest_key() -> None:
    batch = keys(
        {"email": "a@x.com", "linkedin": "in/other"},
        {"linkedin": "in/b"},
        {"phone": "+4930123456"},
        {"email": "new@x.com"},
    )
    existing = {
        ("linkedin", "in/other"): 9,
        ("email", "a@x.com"): 7,
        ("linkedin", "in/b"): 8,
        ("phone", "+4930123456"): 5,
    }
    result = resolve(batch, existing, [True] * 4)
    assert result.existing_lead == [7, 8, 5, None]


def test_a_group_takes_the_lead_its_best_row_found() -> None:
    batch = keys({"email": "a@x.com", "linkedin": "in/a"}, {"linkedin": "in/a", "ext": "crm:1"})
    result = resolve(batch, {("ext", "crm:1"): 3}, [True, True])
    assert result.existing_lead == [3, 3]


def test_placeholder_record_ids_are_no_identity() -> None:
    frame = pl.DataFrame(
        {
            "email_valid": [True, True, True],
            "email": ["ann@x.com", "bob@x.com", "cy@x.com"],
            "linkedin_url": [None, None, None],
            "external_id": ["N/A", " 0000 ", "  A-17 "],
            "phone_e164": [None, None, None],
            "full_name": [None, None, None],
            "company_key": [None, None, None],
        },
        schema_overrides=dict.fromkeys(
            ("linkedin_url", "phone_e164", "full_name", "company_key"), pl.String
        ),
    )
    assert lead_key_columns(frame, "crm")["ext"].to_list() == [None, None, "crm:A-17"]


def test_two_emails_sharing_a_record_id_stay_two_people() -> None:
    batch = keys(
        {"email": "ann@x.com", "ext": "crm:7"},
        {"email": "bob@x.com", "ext": "crm:7"},  # a reused id in a messy export
        {"ext": "crm:7"},
    )
    result = resolve(batch, {}, [True] * 3)
    assert result.group[0] != result.group[1]
    assert result.group[2] == result.group[0]


def test_groups_that_find_the_same_lead_become_one() -> None:
    batch = keys({"email": "ann@x.com"}, {"linkedin": "in/ann"})
    result = resolve(batch, {("email", "ann@x.com"): 4, ("linkedin", "in/ann"): 4}, [True, True])
    assert result.group[0] == result.group[1]
    assert result.existing_lead == [4, 4]


def test_weak_keys_do_not_depend_on_row_order_or_join_other_names() -> None:
    rows = [
        {"phone": "+14155550100", "name": "ann lee|domain:x.com"},
        {"email": "ann@x.com", "phone": "+14155550100", "name": "ann lee|domain:x.com"},
        {"phone": "+14155550100", "name": "bob ray|domain:x.com"},  # the switchboard
    ]
    for order in ([0, 1, 2], [1, 0, 2], [2, 1, 0]):
        result = resolve(keys(*[rows[i] for i in order]), {}, [True] * 3)
        group = dict(zip(order, result.group, strict=True))
        assert group[0] == group[1] != group[2]
