"""Identity resolution quality and speed: pairwise precision, recall and F1 on FEBRL and on the
restaurants benchmark (ground truth from their ids), plus time and peak memory.

Usage: python benchmarks/dedupe.py [--datasets DIR] [--threshold P] [--sample-sizes N ...]
The ground-truth columns are dropped before matching; matching sees only what a user's file has.
FEBRL is run twice: with every column, and without the social security number (names, address
and date of birth only). The sample lists are sample people with 20% of them sent again with
typos, swapped or shortened names, another email or a missing phone.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import polars as pl

from leadrank.kit.readers import read_table
from leadrank.matching.service import DEFAULT_THRESHOLD, find_matches
from leadrank.sample.duplicates import sample_with_duplicates

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def pairs_in(groups: pl.Series) -> int:
    """Pairs of rows that share a group."""
    sizes = groups.value_counts()["count"]
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(truth: pl.Series, predicted: pl.Series) -> dict[str, float]:
    """Precision, recall and F1 over all pairs of rows."""
    both = pl.DataFrame({"t": truth, "p": predicted})
    true_pairs = pairs_in(both["t"])
    found_pairs = pairs_in(both["p"])
    sizes = both.group_by("t", "p").len()["len"]
    correct = int((sizes * (sizes - 1) // 2).sum())
    precision = correct / found_pairs if found_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": true_pairs}


def febrl_truth(frame: pl.DataFrame) -> pl.Series:
    """rec-<N>-org and rec-<N>-dup-<k> are one person."""
    return frame["rec_id"].str.extract(r"rec-(\d+)", 1)


def run(
    name: str,
    frame: pl.DataFrame,
    truth: pl.Series,
    *,
    entity: str,
    threshold: float,
    groups: pl.Series | None = None,
) -> None:
    """Match, score against the truth and print one line."""
    started = time.perf_counter()
    matches = find_matches(frame, entity=entity, threshold=threshold, groups=groups)
    seconds = time.perf_counter() - started
    scores = pairwise_scores(truth, pl.Series(matches.cluster_id))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{name:<22} {frame.height:>7,} rows | precision {scores['precision']:.3f} "
        f"recall {scores['recall']:.3f} F1 {scores['f1']:.3f} "
        f"({scores['true_pairs']:,} true pairs, {matches.candidate_pairs:,} compared) | "
        f"{seconds:6.2f}s, {frame.height / seconds:,.0f} rows/s | peak {peak:,.0f} MiB",
        flush=True,
    )


def main() -> None:
    """Every FEBRL file, FEBRL 4a linked to 4b, and the restaurants."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument(
        "--sample-sizes", type=int, nargs="*", default=[100_000, 1_000_000], metavar="PEOPLE"
    )
    args = parser.parse_args()
    febrl = args.datasets / "febrl"
    if not febrl.is_dir():
        sys.exit(f"no FEBRL data in {febrl}; pass --datasets DIR")
    for number in ("1", "2", "3"):
        frame = read_table(febrl / f"dataset{number}.csv").frame
        for label, dropped in (("", ["rec_id"]), (" no SSN", ["rec_id", "soc_sec_id"])):
            run(
                f"FEBRL dataset{number}{label}",
                frame.drop(dropped),
                febrl_truth(frame),
                entity="person",
                threshold=args.threshold,
            )
    a = read_table(febrl / "dataset4a.csv").frame
    b = read_table(febrl / "dataset4b.csv").frame
    both = pl.concat([a, b])
    run(
        "FEBRL 4a <-> 4b (link)",
        both.drop("rec_id"),
        febrl_truth(both),
        entity="person",
        threshold=args.threshold,
        groups=pl.Series([0] * a.height + [1] * b.height),
    )
    restaurants = read_table(args.datasets / "restaurants" / "restaurant-nophone-training.csv")
    frame = restaurants.frame
    run(
        "restaurants",
        frame.drop("unique_id"),
        frame["unique_id"],
        entity="company",
        threshold=args.threshold,
    )
    for people_count in args.sample_sizes:
        frame, truth = sample_with_duplicates(people_count)
        run(
            f"sample {people_count:,} people",
            frame,
            truth,
            entity="person",
            threshold=args.threshold,
        )


if __name__ == "__main__":
    main()
