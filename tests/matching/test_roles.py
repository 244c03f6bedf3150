"""Which columns carry which evidence: guessed from headers and values, or given."""

from __future__ import annotations

import polars as pl
import pytest

from leadrank.errors import BadInput
from leadrank.matching.roles import guess_roles


def test_febrl_headers_map_to_roles_and_the_record_id_is_left_out() -> None:
    frame = pl.DataFrame(
        {
            "rec_id": ["rec-1-org", "rec-1-dup-0"],
            "given_name": ["ann", "anne"],
            "surname": ["lee", "lee"],
            "street_number": ["6", "6"],
            "address_1": ["tullaroop street", "tullaroop st"],
            "suburb": ["st james", "st james"],
            "postcode": ["4011", "4011"],
            "date_of_birth": ["19081209", "19081209"],
            "soc_sec_id": ["6988048", "6988048"],
        }
    )
    roles = guess_roles(frame, entity="person")
    assert roles.columns == {
        "first_name": ["given_name"],
        "last_name": ["surname"],
        "address": ["street_number", "address_1"],
        "city": ["suburb"],
        "postcode": ["postcode"],
        "date": ["date_of_birth"],
        "identifier": ["soc_sec_id"],
    }
    assert roles.ignored == ["rec_id"]


def test_a_bare_name_is_the_entity_own_name() -> None:
    frame = pl.DataFrame({"Name": ["Acme"], "Website": ["acme.io"], "E-mail Address": ["a@b.co"]})
    assert guess_roles(frame, entity="company").columns["company"] == ["Name"]
    person = guess_roles(frame, entity="person").columns
    assert person["full_name"] == ["Name"] and person["email"] == ["E-mail Address"]


def test_emails_are_found_by_their_values_under_any_header() -> None:
    frame = pl.DataFrame({"contact point": ["ann@initech.com", "bob@acme.io", None]})
    assert guess_roles(frame, entity="person").columns == {"email": ["contact point"]}


def test_explicit_choices_win_and_ignored_columns_stay_out() -> None:
    frame = pl.DataFrame({"who": ["Ann Lee"], "surname": ["Lee"], "email": ["a@b.co"]})
    roles = guess_roles(frame, entity="person", explicit={"full_name": "who"}, ignore=["email"])
    assert roles.columns == {"last_name": ["surname"], "full_name": ["who"]}
    assert roles.ignored == ["email"]


@pytest.mark.parametrize(
    ("explicit", "message"),
    [({"bogus": "who"}, "unknown role"), ({"email": "nope"}, "no column named 'nope'")],
)
def test_bad_choices_are_explained(explicit: dict[str, str], message: str) -> None:
    frame = pl.DataFrame({"who": ["Ann Lee"]})
    with pytest.raises(BadInput, match=message):
        guess_roles(frame, entity="person", explicit=explicit)


def test_nothing_to_match_on_is_an_error() -> None:
    with pytest.raises(BadInput, match="no column to match on"):
        guess_roles(pl.DataFrame({"colour": ["blue"]}), entity="person")
    with pytest.raises(BadInput, match="unknown entity"):
        guess_roles(pl.DataFrame({"email": ["a@b.co"]}), entity="animal")
