"""Contact details are found in free-form values, and plain values are left alone."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from leadrank.features.contact import CONTACT_MARK, is_contact_field, looks_like_contact, masked

CONTACTS = [
    "+33 4 20 09 41 58",
    "+1 646-337-9106",
    "(555) 123-4567",
    "555.123.4567",
    "ann@x.com",
    "Ann Lee <ann.lee@acme.co.uk>",
    "mailto:ann@x.com",
    "https://linkedin.com/in/ann",
    "linkedin.com/in/ann-lee",
    "www.acme.com",
    "write to bo@acme.io about it",
]
PLAIN = [
    "enterprise",
    "25000000",
    "-1234567",
    "12.5",
    "2026-01-26",
    "26/01/2026",
    "1 234",
    "Marketing Qualified Lead",
    "acme.com",
]


def test_contact_details_are_found_and_plain_values_are_not() -> None:
    found = looks_like_contact(pl.Series(CONTACTS + PLAIN + [None]))
    assert found.to_list() == [True] * len(CONTACTS) + [False] * len(PLAIN) + [False]


def test_a_field_is_contact_data_when_most_values_are() -> None:
    assert is_contact_field(pl.Series(["+1 646-337-9106", "ann@x.com", "pro", None]))
    assert not is_contact_field(pl.Series(["pro", "free", "ann@x.com"]))
    assert not is_contact_field(pl.Series([None, None], dtype=pl.String))
    assert masked(pl.Series("v", ["pro", "ann@x.com", None])).to_list() == [
        "pro",
        CONTACT_MARK,
        None,
    ]


@given(st.lists(st.text(alphabet="abcdefghij klm-_", max_size=20), max_size=30))
def test_words_without_digits_or_at_signs_are_never_contact_details(words: list[str]) -> None:
    assert not looks_like_contact(pl.Series(words, dtype=pl.String)).any()
