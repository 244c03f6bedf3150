"""Organisation names made comparable: legal forms, abbreviations, spelled letters, acronyms;
and the word weights that make a rare shared word strong evidence."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrank.matching.name_similarity import WordWeights, name_agreement
from leadrank.matching.organisations import acronym, organisation_key, organisation_words


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Akzo Nobel N.V.", "akzo nobel"),
        ("AKZO-NOBEL NV", "akzo nobel"),
        ("Akzo Nobel", "akzo nobel"),
        ("Int'l Business Machines Corp.", "international business machine"),
        ("I.B.M.", "ibm"),
        ("Siemens Aktiengesellschaft", "siemen"),  # plurals folded, loosely, the same on both sides
        ("Siemens AG", "siemen"),
        (
            "Shell Internationale Research Maatschappij B.V.",
            "shell international research maatschappij",
        ),
        ("Shell Int. Res. Mij. BV", "shell international research maatschappij"),
        ("Philips Laboratories", "philip laboratory"),
        ("Philips Labs", "philip laboratory"),
        ("Dept. of Physics, Univ. of Oslo", "department physic university oslo"),
        ("Toyota Jidosha Kabushiki Kaisha", "toyota jidosha"),
        ("AT&T Corp.", "att"),
        ("Procter & Gamble Co", "procter gamble"),
        ("Société Générale S.A.", "societe generale"),
        ("The Company Ltd", "company ltd"),  # nothing but forms: they stay
        ("Ørsted A/S", "orsted"),
        ("Straße AG", "strasse"),
        ("ПАО Газпром", "газпром"),  # other scripts are kept, their legal forms dropped
        ("Ｔｏｙｏｔａ", "toyota"),
        ("S & P Global", "sp global"),
        ("", None),
    ],
)
def test_names_become_the_words_that_identify_them(name: str, key: str | None) -> None:
    assert organisation_key(name) == key


@given(st.text(max_size=40))
def test_cleaning_a_cleaned_name_changes_nothing(name: str) -> None:
    once = organisation_key(name)
    assert organisation_key(once) == once


def test_an_acronym_is_the_initials_of_three_words_or_more() -> None:
    assert acronym(organisation_words("International Business Machines")) == "ibm"
    assert acronym(organisation_words("Akzo Nobel")) is None


def _agreement(pairs: list[tuple[str, str]], names: list[str]) -> pl.DataFrame:
    keys = pl.Series([organisation_key(n) for n in names])
    weights = WordWeights.of(keys)
    left = pl.Series([organisation_key(a) for a, _ in pairs])
    right = pl.Series([organisation_key(b) for _, b in pairs])
    found = name_agreement(left, right, weights)
    return pl.DataFrame(
        {
            "cosine": found.cosine,
            "within": found.within,
            "mutual": found.mutual,
            "rare": found.shared_rare,
            "acronym": found.acronym,
        }
    )


def test_a_rare_shared_word_weighs_more_than_a_common_one() -> None:
    names = [
        "Akzo Nobel",
        "Akzo Coatings",
        *[f"{word} Technologies" for word in ("Zenith", "Apex", "Nova", "Orbit", "Vega")],
        "Acme Corp",
    ]
    found = _agreement(
        [("Akzo Nobel", "Akzo Coatings"), ("Zenith Technologies", "Apex Technologies")], names
    )
    rare, common = found.row(0, named=True), found.row(1, named=True)
    assert rare["rare"] and not common["rare"]
    assert rare["cosine"] > 2 * common["cosine"]


def test_a_name_within_another_and_an_acronym() -> None:
    names = ["Philips", "Koninklijke Philips Electronics", "IBM", "International Business Machines"]
    found = _agreement(
        [
            ("Philips", "Koninklijke Philips Electronics N.V."),
            ("IBM", "International Business Machines"),
            ("Sunzone Medical", "Sunzone Wealth"),
        ],
        [*names, "Sunzone Medical", "Sunzone Wealth"],
    )
    philips, ibm, sunzone = (found.row(k, named=True) for k in range(3))
    assert philips["within"] == pytest.approx(1.0)
    assert philips["mutual"] < 0.9  # the longer name has words the shorter lacks
    assert ibm["acronym"]
    # the word each lacks counts at its full weight, so neither holds the other
    assert sunzone["within"] < 0.8
