"""Identity resolution quality and speed: pairwise precision, recall and F1 on FEBRL and on the
restaurants benchmark (ground truth from their ids), plus time and peak memory.

Usage: python benchmarks/dedupe.py [--datasets DIR] [--threshold P] [--sample-sizes N ...]
           [--part all|people|companies] [--companies N ...] [--splink-python PATH]
The ground-truth columns are dropped before matching; matching sees only what a user's file has.
FEBRL is run twice: with every column, and without the social security number (names, address
and date of birth only). The sample lists are sample people with 20% of them sent again with
typos, swapped or shortened names, another email or a missing phone. The restaurants are
matched as sites (`--company-level site`): their truth is one restaurant per address.

Companies by name alone: account lists from the sample company vocabulary, each company
written many ways (legal forms, capitals, abbreviations, word order, typos, subsidiaries; see
leadrank.sample.company_names), once with many companies of few rows and once with few
companies of many rows (as in patent filings); the restaurants with their name column alone;
and affiliation strings (leadrank.sample.affiliations: a university's departments or a
company lab, with its address, written many ways), matched as organisations and as sites.
Where Splink runs (`make bench-company-names` installs it into .venv-splink), the same rows go
through benchmarks/splink_reference.py (Splink configured for names: exact name with
term-frequency adjustment, Jaro-Winkler, token Jaccard, EM) at several thresholds, with and
without the term-frequency adjustment; its F1 at 0.9 and at its best threshold are printed.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from leadrank.kit.readers import read_table
from leadrank.matching.service import DEFAULT_THRESHOLD, find_matches
from leadrank.sample.affiliations import affiliations_with_variants
from leadrank.sample.company_names import company_names_with_variants
from leadrank.sample.duplicates import sample_with_duplicates

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASETS = ROOT.parent / "shared" / "datasets"
SPLINK_THRESHOLDS = (0.95, 0.9, 0.8, 0.7, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02)


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
    company_level: str = "organisation",
) -> None:
    """Match, score against the truth and print one line."""
    started = time.perf_counter()
    matches = find_matches(
        frame, entity=entity, threshold=threshold, groups=groups, company_level=company_level
    )
    seconds = time.perf_counter() - started
    scores = pairwise_scores(truth, pl.Series(matches.cluster_id))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{name:<30} {frame.height:>7,} rows | precision {scores['precision']:.3f} "
        f"recall {scores['recall']:.3f} F1 {scores['f1']:.3f} "
        f"({scores['true_pairs']:,} true pairs, {matches.candidate_pairs:,} compared) | "
        f"{seconds:6.2f}s, {frame.height / seconds:,.0f} rows/s | peak {peak:,.0f} MiB",
        flush=True,
    )


def splink(name: str, frame: pl.DataFrame, truth: pl.Series, python: Path) -> None:
    """The same names through Splink, with and without term-frequency adjustment: F1 at 0.9
    and at the threshold that suits it best (chosen with the truth in view)."""
    script = ROOT / "benchmarks" / "splink_reference.py"
    thresholds = [str(t) for t in SPLINK_THRESHOLDS]
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.csv", Path(folder) / "out.csv"
        frame.select("name").write_csv(source)
        for label, extra in (("Splink, TF", []), ("Splink, no TF", ["--no-tf"])):
            started = time.perf_counter()
            command = [str(python), str(script), str(source), str(target)]
            subprocess.run(
                [*command, "--name-column", "name", "--thresholds", *thresholds, *extra],
                check=True,
                stderr=subprocess.DEVNULL,
            )
            seconds = time.perf_counter() - started
            found = pl.read_csv(target, infer_schema=False)
            scores = {
                t: pairwise_scores(truth, found[f"cluster_at_{t}"]) for t in SPLINK_THRESHOLDS
            }
            best = max(scores, key=lambda t: scores[t]["f1"])
            at = scores[0.9]
            print(
                f"  {label:<14} {name:<30} | at 0.9: precision {at['precision']:.3f} "
                f"recall {at['recall']:.3f} F1 {at['f1']:.3f} | best F1 {scores[best]['f1']:.3f}"
                f" at {best} (P {scores[best]['precision']:.3f}) | {seconds:5.2f}s",
                flush=True,
            )


def company_names(args: argparse.Namespace, restaurants: pl.DataFrame | None) -> None:
    """Name-only company matching, beside Splink where it runs."""
    sets = [
        (f"names: {count:,} companies", *company_names_with_variants(count), "organisation")
        for count in args.companies
    ]
    sets.append(
        (
            "names: 150 large companies",
            *company_names_with_variants(150, most_rows=400, seed=3),
            "organisation",
        )
    )
    if restaurants is not None:
        sets.append(
            (
                "names: restaurants",
                restaurants.select("name"),
                restaurants["unique_id"],
                "organisation",
            )
        )
    affiliations, organisation, site = affiliations_with_variants(1_000)
    affiliations = affiliations.rename({"affiliation": "name"})
    sets.append(("affiliations: organisations", affiliations, organisation, "organisation"))
    sets.append(("affiliations: sites", affiliations, site, "site"))
    can_compare = args.splink_python.exists()
    if not can_compare:
        print(f"(no Splink at {args.splink_python}: make bench-company-names installs it)")
    for name, frame, truth, level in sets:
        run(name, frame, truth, entity="company", threshold=args.threshold, company_level=level)
        if can_compare:
            splink(name, frame, truth, args.splink_python)


def main() -> None:
    """Every FEBRL file, FEBRL 4a linked to 4b, the restaurants, sample people lists and
    name-only company lists."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument(
        "--sample-sizes", type=int, nargs="*", default=[100_000, 1_000_000], metavar="PEOPLE"
    )
    parser.add_argument("--part", choices=("all", "people", "companies"), default="all")
    parser.add_argument("--companies", type=int, nargs="*", default=[2_000, 20_000])
    parser.add_argument(
        "--splink-python", type=Path, default=ROOT / ".venv-splink" / "bin" / "python"
    )
    args = parser.parse_args()
    restaurants_file = args.datasets / "restaurants" / "restaurant-nophone-training.csv"
    restaurants = read_table(restaurants_file).frame if restaurants_file.exists() else None
    if args.part in ("all", "people"):
        people(args, restaurants)
    if args.part in ("all", "companies"):
        company_names(args, restaurants)


def people(args: argparse.Namespace, restaurants: pl.DataFrame | None) -> None:
    """FEBRL, the restaurants with every column, and the sample people lists."""
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
    if restaurants is not None:
        run(
            "restaurants (sites)",
            restaurants.drop("unique_id"),
            restaurants["unique_id"],
            entity="company",
            threshold=args.threshold,
            company_level="site",
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
