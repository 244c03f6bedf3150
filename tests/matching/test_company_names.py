"""Companies by name alone: account lists without domains, written many ways, and strings
that mix an organisation with its address."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from leadrank.errors import BadInput
from leadrank.matching.affiliations import split_affiliation
from leadrank.matching.organisations import organisation_key
from leadrank.matching.service import find_matches
from leadrank.sample.affiliations import affiliations_with_variants
from leadrank.sample.company_names import company_names_with_variants
from tests.conftest import CliResult
from tests.matching.test_dedupe import pairwise_f1

Cli = Callable[..., CliResult]


def clusters(names: list[str], **options: str) -> list[int]:
    """The cluster of each name, de-duplicated as companies by name alone."""
    frame = pl.DataFrame({"name": names})
    return find_matches(frame, entity="company", **options).cluster_id.tolist()  # type: ignore[arg-type]


def test_the_same_rare_name_merges_with_nothing_else_to_go_on() -> None:
    assert len(set(clusters(["Akzo Nobel N.V."] * 3))) == 1
    assert len(set(clusters(["Akzo Nobel N.V.", "AKZO NOBEL NV", "Akzo-Nobel"]))) == 1


@pytest.fixture(scope="module")
def account_list() -> tuple[pl.DataFrame, pl.Series]:
    """400 sample companies written the ways account lists write them."""
    return company_names_with_variants(400, seed=5)


def test_an_account_list_is_resolved_by_name_alone(
    account_list: tuple[pl.DataFrame, pl.Series],
) -> None:
    frame, truth = account_list
    precision, _, f1 = pairwise_f1(truth, find_matches(frame, entity="company").cluster_id)
    assert precision >= 0.95
    assert f1 >= 0.85


def test_identical_rare_names_always_merge_in_a_large_list(
    account_list: tuple[pl.DataFrame, pl.Series],
) -> None:
    frame, _ = account_list
    # Three rows of one more organisation among the list's thousands of pairs.
    frame = pl.concat([frame, pl.DataFrame({"name": ["Zyqorra Biotech GmbH"] * 3})])
    found = pl.DataFrame(
        {
            "key": [organisation_key(n) for n in frame["name"].to_list()],
            "cluster": find_matches(frame, entity="company").cluster_id,
        }
    )
    split = found.group_by("key").agg(pl.col("cluster").n_unique()).filter(pl.col("cluster") > 1)
    assert split.is_empty(), split
    assert found.filter(pl.col("key") == "zyqorra biotech")["cluster"].n_unique() == 1


def test_few_organisations_of_many_rows_come_together() -> None:
    """As in patent filings: a few applicants on hundreds of rows each, their random pairs
    largely matches (the prior and u must allow for that)."""
    frame, truth = company_names_with_variants(60, most_rows=200, seed=3)
    precision, recall, _ = pairwise_f1(truth, find_matches(frame, entity="company").cluster_id)
    assert precision >= 0.95
    assert recall >= 0.9


def test_variants_of_one_organisation_and_others_sharing_its_words() -> None:
    names = [
        "International Business Machines Corp.",
        "Int'l Business Machines",
        "IBM",
        "Brightwave Analytics Inc.",
        "BRIGHTWAVE ANALYTICS",
        "Analytics Brightwave",
        "Brightwave Analytcs, LLC",
        "Zenith Technologies",
        "Apex Technologies",
        "Nova Technologies Ltd",
        "Brightwave Logistics",
    ]
    found = clusters(names)
    assert len(set(found[:3])) == 1  # the acronym beside its words
    assert len(set(found[3:7])) == 1  # capitals, word order, a typo
    assert len(set(found[7:10])) == 3  # a generic word in common is no match
    assert found[10] not in found[3:7]  # one stem, another business


def test_the_pairs_each_blocking_rule_found_are_reported() -> None:
    frame, _ = company_names_with_variants(100, seed=2)
    matches = find_matches(frame, entity="company")
    assert {"name", "name words", "rare name word", "acronym", "name prefix"} <= set(
        matches.pairs_by_rule
    )
    shares = matches.rule_shares()
    assert "rare name word" in shares and "%" in shares


AFFILIATIONS = [
    "Dept. of Computer Science, Stanford University, Stanford, CA 94305, USA",
    "Department of Electrical Engineering, Stanford Univ., Stanford, CA 94305",
    "Computer Science Department, University of Toronto, Toronto, Ontario M5S 1A4, Canada",
    "Dept. of Computer Science, Univ. of Toronto, Toronto, Canada",
    "IBM Almaden Research Center, 650 Harry Road, San Jose, CA 95120, USA",
    "IBM Almaden Research Ctr., 650 Harry Rd., San Jose, CA 95120",
    "Philips Research, Prof. Holstlaan 4, 5656 AA Eindhoven, The Netherlands",
]


def test_an_affiliation_is_split_into_organisation_and_address() -> None:
    parts = split_affiliation(AFFILIATIONS[4])
    assert parts.organisation == "IBM Almaden Research Center"
    assert (parts.address, parts.city, parts.postcode, parts.country) == (
        "650 Harry Road",
        "San Jose",
        "95120",
        "US",
    )
    dutch = split_affiliation(AFFILIATIONS[6])
    assert (dutch.address, dutch.city, dutch.postcode, dutch.country) == (
        "Prof. Holstlaan 4",
        "Eindhoven",
        "5656 AA",
        "NL",
    )
    assert split_affiliation(AFFILIATIONS[0]).organisation == "Stanford University"
    site = split_affiliation(AFFILIATIONS[0], "site").organisation
    assert site == "Dept. of Computer Science, Stanford University"
    assert split_affiliation("Akzo Nobel N.V.").organisation == "Akzo Nobel N.V."


def test_departments_are_one_organisation_or_sites_as_chosen() -> None:
    organisation = clusters(AFFILIATIONS)
    assert organisation[0] == organisation[1]  # two departments of Stanford
    assert organisation[2] == organisation[3]
    assert organisation[4] == organisation[5]
    assert len(set(organisation)) == 4
    site = clusters(AFFILIATIONS, company_level="site")
    assert site[0] != site[1]  # computer science and electrical engineering
    assert site[4] == site[5]  # one site written two ways


def test_an_unknown_company_level_is_refused() -> None:
    with pytest.raises(BadInput, match="organisation or site"):
        clusters(["Acme", "Acme Inc"], company_level="branch")


def test_a_column_of_names_under_any_header_is_the_company(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "applicants.csv"
    pl.DataFrame(
        {
            "person_id": ["1", "2", "3", "4"],
            "Applicant Text": ["Akzo Nobel N.V.", "AKZO NOBEL", "Philips", "Philips N.V."],
            "lat": ["52.1", "52.1", "51.4", "51.4"],
        }
    ).write_csv(source)
    output = tmp_path / "out.csv"
    result = cli("dedupe", str(source), "-o", str(output), "--entity", "company")
    assert result.exit_code == 0, result.stderr
    assert "company <- Applicant Text" in result.stdout
    assert "pairs by blocking rule:" in result.stdout
    ids = pl.read_csv(output)["cluster_id"].to_list()
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]


def test_the_company_level_option(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "affiliations.csv"
    pl.DataFrame({"affiliation": AFFILIATIONS}).write_csv(source)
    output = tmp_path / "out.csv"
    result = cli(
        "dedupe", str(source), "-o", str(output), "--entity", "company", "--company-level", "site"
    )
    assert result.exit_code == 0, result.stderr
    assert "split into address, city, country, postcode (--company-level site)" in result.stdout
    ids = np.asarray(pl.read_csv(output)["cluster_id"].to_list())
    assert ids[0] != ids[1] and ids[4] == ids[5]
    refused = cli(
        "dedupe", str(source), "-o", str(output), "--entity", "company", "--company-level", "x"
    )
    assert refused.exit_code != 0
    assert "--company-level must be organisation or site" in refused.stdout + refused.stderr


def test_generated_affiliations_by_organisation_and_by_site() -> None:
    frame, organisation, site = affiliations_with_variants(80, seed=2)
    by_organisation = find_matches(frame, entity="company").cluster_id
    precision, _, f1 = pairwise_f1(organisation, by_organisation)
    assert precision >= 0.95 and f1 >= 0.9
    by_site = find_matches(frame, entity="company", company_level="site").cluster_id
    precision, _, f1 = pairwise_f1(site, by_site)
    assert precision >= 0.9 and f1 >= 0.8
    # Sites are finer than organisations: no site cluster spans two organisations.
    spans = (
        pl.DataFrame({"c": by_site, "o": organisation}).group_by("c").agg(pl.col("o").n_unique())
    )
    assert spans["o"].max() == 1


def test_the_same_file_gives_the_same_clusters_every_time(
    account_list: tuple[pl.DataFrame, pl.Series],
) -> None:
    frame, _ = account_list
    first = find_matches(frame, entity="company")
    second = find_matches(frame, entity="company")
    assert first.pairs_by_rule == second.pairs_by_rule
    assert (first.cluster_id == second.cluster_id).all()


def test_a_bare_stem_does_not_bridge_two_organisations() -> None:
    names = ["Quantumcraft Logistics"] * 40 + ["Quantumcraft"] + ["Quantumcraft Power"] * 40
    found = clusters([*names, "Zenith Technologies", "Apex Technologies"])
    logistics, bare, power = found[0], found[40], found[41]
    assert logistics != power
    assert len(set(found[:40])) == 1 and len(set(found[41:81])) == 1
    assert bare in (logistics, power) or bare not in found[:40] + found[41:81]


def test_names_in_other_scripts_and_cells_of_separators() -> None:
    found = clusters(["Газпром", "ПАО Газпром", "Ørsted A/S", "Orsted", ",", ";", "Acme"])
    assert found[0] == found[1] and found[2] == found[3]
    assert len(set(found)) == 5


def test_one_stem_with_other_words_stays_apart_in_a_small_list() -> None:
    frame, _ = company_names_with_variants(200)
    extra = [
        "Quantumcraft Logistics",
        "Quantumcraft Power",
        "Brightwave Analytics",
        "Brightwave Logistics",
    ]
    found = clusters([*frame["name"].to_list(), *extra])[-4:]
    assert found[0] != found[1] and found[2] != found[3]


def test_names_of_words_are_chosen_over_codes_under_unknown_headers() -> None:
    frame = pl.DataFrame(
        {
            "ref": [f"AFF-{k:04d}" for k in range(4)],
            "affil1": [
                "IBM Almaden Research Center",
                "IBM Almaden Res. Ctr.",
                "Akzo Nobel",
                "AKZO NOBEL N.V.",
            ],
        }
    )
    matches = find_matches(frame, entity="company")
    assert matches.roles.columns["company"] == ["affil1"]
    assert matches.cluster_id.tolist() == [1, 1, 3, 3]
