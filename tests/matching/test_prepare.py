"""Comparable forms of values, and field comparisons."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrank.matching.compare import NULL, compare, comparisons_for
from leadrank.matching.prepare import folded, nickname_families, prepare, soundex
from leadrank.matching.roles import RoleMap


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Robert", "R163"),
        ("Rupert", "R163"),
        ("Ashcraft", "A261"),  # h and w do not separate letters of one code
        ("Tymczak", "T522"),
        ("Pfister", "P236"),
        ("Lee", "L000"),
        ("", None),
        ("123", None),
    ],
)
def test_soundex_matches_the_standard_codes(name: str, code: str | None) -> None:
    assert soundex(name) == code


@given(st.text(max_size=30))
def test_folded_text_is_lower_ascii_words(text: str) -> None:
    result = folded(text)
    assert result is None or (result.isascii() and result == " ".join(result.lower().split()))


def test_nickname_families_join_short_forms_to_their_names() -> None:
    families = nickname_families()
    assert set(families["bob"]) & set(families["robert"])
    assert set(families["liz"]) & set(families["elizabeth"])
    assert not set(families["bob"]) & set(families["william"])


def _compare(rows: list[dict[str, str | None]], columns: dict[str, list[str]]) -> list[list[int]]:
    frame = pl.DataFrame(rows)
    prepared = prepare(frame, RoleMap(columns))
    pairs = pl.DataFrame({"i": [0], "j": [1]}, schema={"i": pl.UInt32, "j": pl.UInt32})
    comparisons = comparisons_for(prepared.columns)
    levels = compare(prepared, pairs, comparisons)
    return [[c.field for c in comparisons], levels[0].tolist()]


def test_nicknames_and_swapped_names_compare_as_the_same_name() -> None:
    roles = {"first_name": ["first"], "last_name": ["last"]}
    fields, levels = _compare(
        [{"first": "Bob", "last": "Smith"}, {"first": "Robert", "last": "Smith"}], roles
    )
    assert dict(zip(fields, levels, strict=True)) == {"first_name": 3, "last_name": 3}
    fields, levels = _compare(
        [{"first": "Lee", "last": "Ann"}, {"first": "ann", "last": "LEE"}], roles
    )
    assert dict(zip(fields, levels, strict=True)) == {"first_name": 3, "last_name": 3}


def test_a_full_name_is_compared_as_first_and_last() -> None:
    fields, levels = _compare([{"name": "Ann Lee"}, {"name": "ann  lee"}], {"full_name": ["name"]})
    assert dict(zip(fields, levels, strict=True)) == {"first_name": 3, "last_name": 3}


def test_email_typos_are_near_but_colleagues_initials_are_not() -> None:
    roles = {"email": ["email"]}
    _, typo = _compare([{"email": "john.smith@acme.io"}, {"email": "jhon.smith@acme.io"}], roles)
    _, colleague = _compare([{"email": "gcampbell@acme.io"}, {"email": "ocampbell@acme.io"}], roles)
    _, empty = _compare([{"email": "gcampbell@acme.io"}, {"email": None}], roles)
    assert typo == [1] and colleague == [0] and empty == [NULL]


def test_company_names_compare_without_legal_suffixes_and_case() -> None:
    _, levels = _compare(
        [{"company": "Acme, Inc."}, {"company": "ACME Corporation"}], {"company": ["company"]}
    )
    assert levels == [3]


def test_addresses_compare_with_standard_abbreviations_and_extra_words() -> None:
    roles = {"address": ["address"]}
    _, same = _compare([{"address": "102 Fifth Avenue"}, {"address": "102 5th ave."}], roles)
    _, extra = _compare(
        [{"address": "3125 Piedmont Rd near Peachtree Rd"}, {"address": "3125 piedmont road"}],
        roles,
    )
    assert same == [3] and extra == [2]
