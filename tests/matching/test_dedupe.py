"""Identity resolution end to end: lists with known duplicates, the hard cases, and the
`leadrank dedupe` command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from leadrank.errors import BadInput
from leadrank.matching.service import find_matches
from leadrank.sample.duplicates import sample_with_duplicates
from tests.conftest import FIXTURES, CliResult

Cli = Callable[..., CliResult]


def pairwise_f1(truth: pl.Series, clusters: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 over all pairs of rows."""

    def pairs(frame: pl.DataFrame, by: list[str]) -> int:
        sizes = frame.group_by(by).len()["len"]
        return int((sizes * (sizes - 1) // 2).sum())

    both = pl.DataFrame({"t": truth, "p": clusters})
    correct, found, real = pairs(both, ["t", "p"]), pairs(both, ["p"]), pairs(both, ["t"])
    precision, recall = correct / found, correct / real
    return precision, recall, 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def lead_list() -> tuple[pl.DataFrame, pl.Series]:
    """2,000 sample people, 20% of them sent twice with differences, plus the hard cases."""
    frame, truth = sample_with_duplicates(2_000, seed=3)
    hard = pl.DataFrame(
        [
            # nickname, and the company written with another legal suffix
            (
                "Robert",
                "Kowalczyk",
                "robert.kowalczyk@zentrix.com",
                "2025550147",
                "Zentrix Inc",
                "Boston",
            ),
            ("Bob", "Kowalczyk", None, "2025550147", "ZENTRIX CORPORATION", "Boston"),
            # first and last name the other way round
            ("Mariana", "Esteves", "m.esteves@quillon.pt", None, "Quillon", "Lisbon"),
            ("Esteves", "Mariana", "m.esteves@quillon.pt", None, "Quillon", "Lisbon"),
            # a typo in the email, nothing else to go on but the name and company
            ("Priya", "Raghunathan", "priya.raghunathan@omnivale.in", None, "Omnivale", "Pune"),
            ("Priya", "Raghunathan", "priya.ragunathan@omnivale.in", None, "Omnivale", "Pune"),
            # two different people with one name at different companies
            ("Wei", "Zhang", "wei.zhang@harbourline.com", "4155550110", "Harbourline", "Sydney"),
            ("Wei", "Zhang", "wei.zhang@copperfield.io", "6175550199", "Copperfield", "Boston"),
        ],
        schema=["First Name", "Last Name", "Email", "Phone", "Company", "City"],
        orient="row",
    )
    people = np.asarray([-1, -1, -2, -2, -3, -3, -4, -5])
    return pl.concat([frame, hard]), pl.concat([truth, pl.Series(people)])


def test_a_list_with_known_duplicates_is_resolved(
    lead_list: tuple[pl.DataFrame, pl.Series],
) -> None:
    frame, truth = lead_list
    matches = find_matches(frame, entity="person")
    precision, recall, f1 = pairwise_f1(truth, matches.cluster_id)
    assert f1 >= 0.93, (precision, recall)
    # As many entities as there are people, give or take a few unresolved typos.
    assert abs(matches.clusters - truth.n_unique()) <= 0.02 * truth.n_unique()


def test_the_hard_cases(lead_list: tuple[pl.DataFrame, pl.Series]) -> None:
    frame, _ = lead_list
    clusters = find_matches(frame, entity="person").cluster_id[-8:]
    nickname, swapped, email_typo, namesakes = (
        clusters[0:2],
        clusters[2:4],
        clusters[4:6],
        clusters[6:8],
    )
    assert nickname[0] == nickname[1]
    assert swapped[0] == swapped[1]
    assert email_typo[0] == email_typo[1]
    assert namesakes[0] != namesakes[1]


def test_rows_of_a_cluster_share_the_id_of_its_first_row(
    lead_list: tuple[pl.DataFrame, pl.Series],
) -> None:
    frame, _ = lead_list
    matches = find_matches(frame, entity="person")
    ids = pl.DataFrame({"c": matches.cluster_id}).with_row_index("row")
    firsts = ids.group_by("c").agg(pl.col("row").min() + 1)
    assert (firsts["c"] == firsts["row"].cast(pl.Int64)).all()
    alone = pl.Series(matches.cluster_id).is_unique().to_numpy()
    assert np.isnan(matches.match_score[alone]).all()
    assert (matches.match_score[~alone] >= matches.threshold).all()


def test_febrl_records_are_resolved() -> None:
    frame = pl.read_csv(FIXTURES / "febrl1_subset.csv", infer_schema=False)
    frame = frame.rename({c: c.strip() for c in frame.columns}).with_columns(
        pl.all().str.strip_chars()
    )
    truth = frame["rec_id"].str.extract(r"rec-(\d+)", 1)
    matches = find_matches(frame.drop("rec_id", "soc_sec_id"), entity="person")
    precision, recall, f1 = pairwise_f1(truth, matches.cluster_id)
    assert f1 >= 0.9, (precision, recall)


def test_linking_compares_only_across_groups() -> None:
    frame = pl.DataFrame({"email": ["a@x.io", "a@x.io", "a@x.io"], "name": ["A B", "A B", "A B"]})
    linked = find_matches(frame, groups=pl.Series([0, 0, 1]))
    assert linked.candidate_pairs == 2


def test_empty_and_single_row_inputs_are_their_own_entities() -> None:
    for rows in ([], ["a@x.io"]):
        matches = find_matches(pl.DataFrame({"email": rows}, schema={"email": pl.String}))
        assert matches.cluster_id.tolist() == list(range(1, len(rows) + 1))
        assert matches.candidate_pairs == 0


def test_a_threshold_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(BadInput, match="threshold"):
        find_matches(pl.DataFrame({"email": ["a@x.io"]}), threshold=1.5)


def test_dedupe_command_adds_cluster_id_and_match_score(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    frame, _ = sample_with_duplicates(300, seed=5)
    frame.with_columns(pl.lit("x").alias("cluster_id")).write_csv(source)
    out = tmp_path / "out.parquet"
    result = cli("dedupe", str(source), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "person entities" in result.stdout and "matched on" in result.stdout
    written = pl.read_parquet(out)
    # Every input column kept as it was; ours renamed rather than overwriting the user's.
    assert written.columns == [*frame.columns, "cluster_id", "leadrank_cluster_id", "match_score"]
    assert written.height == frame.height
    assert written["leadrank_cluster_id"].n_unique() < frame.height


def test_dedupe_command_errors_are_one_line(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("email,name\na@x.io,Ann Lee\n")
    bad_column = cli("dedupe", str(source), "-o", str(tmp_path / "o.csv"), "-c", "email=nope")
    assert bad_column.exit_code == 1 and "no column named 'nope'" in bad_column.stderr
    bad_form = cli("dedupe", str(source), "-o", str(tmp_path / "o.csv"), "-c", "email")
    assert bad_form.exit_code == 1 and "ROLE=COLUMN" in bad_form.stderr
    same = cli("dedupe", str(source), "-o", str(source))
    assert same.exit_code == 1 and "must differ" in same.stderr
