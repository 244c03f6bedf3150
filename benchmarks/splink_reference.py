"""Reference runner: de-duplicate company names with Splink (DuckDB backend).

Used by the benchmarks to compare leadrank's name-only company matching with a
carefully configured Splink model. It does not import leadrank and runs offline.

Install Splink into its own virtualenv (not the project's .venv):

    python3 -m venv .venv-splink && .venv-splink/bin/pip install splink

Usage:

    .venv-splink/bin/python benchmarks/splink_reference.py IN.csv OUT.csv \
        --name-column name [--thresholds 0.9 0.5 0.1] [--no-tf]

OUT.csv has one column per threshold, cluster_at_<threshold>, with one row per input row in
input order. --no-tf drops the term-frequency adjustment of exact names (on name-only data it
ranks exact names below fuzzy ones: a name seen twice is "common"). One line with the seconds
taken is printed to stderr.
"""

import argparse
import contextlib
import csv
import logging
import re
import sys
import time
import unicodedata
from pathlib import Path

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

# Legal forms and filler words dropped from names before comparing.
LEGAL_FORMS = (
    "inc incorporated ltd limited llc llp lp gmbh bv nv sa ag corp corporation co company"
    " plc srl sarl spa pty"
)
STOPWORDS = frozenset(LEGAL_FORMS.split()) | {"the", "and"}
MAX_BLOCK = 1000  # blocking keys shared by more rows than this are not used
SEED = 42


def clean_tokens(name):
    """Lower case, accents and punctuation stripped, legal forms removed."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"['’`.]", "", text)  # "s.a." -> "sa", "joe's" -> "joes"
    tokens = re.sub(r"[^a-z0-9]+", " ", text).split()
    kept = [t for t in tokens if t not in STOPWORDS] or tokens
    return list(dict.fromkeys(kept))  # distinct tokens, first-seen order


def prepare(names):
    keys = ("unique_id", "name_clean", "name_tokens", "first_token", "sorted_key", "name_prefix")
    cols = {k: [] for k in keys}
    for i, name in enumerate(names):
        tokens = clean_tokens(name)
        clean = " ".join(tokens) or None
        cols["unique_id"].append(i)
        cols["name_clean"].append(clean)
        cols["name_tokens"].append(tokens or None)
        cols["first_token"].append(tokens[0] if tokens else None)
        cols["sorted_key"].append(" ".join(sorted(tokens)) or None)
        cols["name_prefix"].append(clean[:4] if clean else None)
    for key in ("first_token", "sorted_key", "name_prefix"):  # cap block sizes
        counts = {}
        for v in cols[key]:
            counts[v] = counts.get(v, 0) + 1
        cols[key] = [v if counts[v] <= MAX_BLOCK else None for v in cols[key]]
    return pa.table(cols)


def settings(tf):
    jaccard = (
        "len(list_intersect(name_tokens_l, name_tokens_r)) / "
        "len(list_distinct(list_concat(name_tokens_l, name_tokens_r)))"
    )
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_clean"),
            cll.ExactMatchLevel("name_clean").configure(
                tf_adjustment_column="name_clean" if tf else None
            ),
            cll.JaroWinklerLevel("name_clean", 0.92),
            cll.CustomLevel(f"{jaccard} >= 0.5", "name_tokens").configure(
                label_for_charts="Token Jaccard >= 0.5"
            ),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[name],
        blocking_rules_to_generate_predictions=[
            block_on("name_clean"),
            block_on("first_token"),
            block_on("sorted_key"),
            block_on("name_prefix"),
        ],
        retain_matching_columns=False,
    )


def run(names, thresholds, tf):
    con = duckdb.connect()
    con.execute("SET threads TO 1")  # reproducible sampling and float sums
    db_api = DuckDBAPI(connection=con)
    table = prepare(names)
    df = db_api.register(table, dataset_display_name="names")
    linker = Linker(df, settings(tf), log_level=logging.ERROR)
    training = linker.training
    cleaned = [c for c in table["name_clean"].to_pylist() if c]
    if len(set(cleaned)) < len(cleaned):  # else keep Splink's default prior
        training.estimate_probability_two_random_records_match([block_on("name_clean")], recall=0.6)
    training.estimate_u_using_random_sampling(max_pairs=1e6, seed=SEED)
    # EM must not block on the columns the name comparison reads (Splink would
    # then skip it), so train on the derived first-token and prefix keys.
    for rule in (block_on("first_token"), block_on("name_prefix")):
        with contextlib.suppress(EMTrainingException):  # no pairs (tiny input)
            training.estimate_parameters_using_expectation_maximisation(rule)
    pairs = linker.inference.predict(threshold_match_probability=min(0.5, *thresholds))
    columns = []
    for threshold in thresholds:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            pairs, threshold_match_probability=threshold
        )
        by_id = {int(r["unique_id"]): r["cluster_id"] for r in clusters.as_record_list()}
        columns.append([by_id[i] for i in range(len(names))])
    return columns


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input_csv")
    parser.add_argument("output_csv")
    parser.add_argument("--name-column", required=True)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.9])
    parser.add_argument("--no-tf", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    with Path(args.input_csv).open(newline="", encoding="utf-8") as f:
        names = [row[args.name_column] for row in csv.DictReader(f)]
    columns = run(names, args.thresholds, tf=not args.no_tf)
    with Path(args.output_csv).open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([f"cluster_at_{t}" for t in args.thresholds])
        writer.writerows(zip(*columns, strict=True))
    print(f"splink_reference: {time.perf_counter() - start:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
