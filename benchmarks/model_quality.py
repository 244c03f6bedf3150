"""Model quality: leadrank's default training against a plain LightGBM and a plain logistic
regression, each trained and measured on exactly the rows leadrank trained and held out.

Usage: python benchmarks/model_quality.py [--datasets DIR] [--seeds K]
Datasets: the X Education leads (target Converted), once without and once with its columns that
are filled in by sales after contact, and the Maven CRM deals that closed (Won vs Lost). The
baselines see the same columns as leadrank minus the record ids; they do not get leadrank's own
leak checks. All figures are on the held-out rows: ROC-AUC, PR-AUC (average precision) and
Brier (lower is better). With --seeds K every run is repeated with seeds 0..K-1 (leadrank's
seed, hence its split when it is random, and the baselines' random_state) and the means shown.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from leadrank.features.auto import infer_plan
from leadrank.features.frames import read_frame
from leadrank.training.fit import TrainOptions, TrainResult, fit_table
from leadrank.training.leakage import LeakSuspect, find_leaks
from leadrank.training.learners import CANDIDATES
from leadrank.training.target import binary_target

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
ID_COLUMNS = ("Prospect ID", "Lead Number", "opportunity_id")
X_EDUCATION_LEAKS = (
    "Tags",
    "Lead Quality",
    "Last Activity",
    "Last Notable Activity",
    "Lead Profile",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
)
MAVEN_LEAKS = ("close_value", "close_date")
MODELS = ("leadrank default", "plain LightGBM", "plain logistic")
NUMERIC_SHARE = 0.95  # of filled cells that read as numbers
DATE_SHARE = 0.9  # of filled cells that read as dates
EPOCH = pl.date(1970, 1, 1)

Labels = npt.NDArray[np.int8]
Rows = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Case:
    """One labelled table and the columns left out of it."""

    name: str
    frame: pl.DataFrame  # labelled rows, target removed, all columns text
    y: Labels
    target: str
    exclude: tuple[str, ...]


@dataclass(frozen=True)
class Score:
    """Held-out figures of one model."""

    roc_auc: float
    pr_auc: float
    brier: float
    seconds: float


@dataclass
class Outcome:
    """One run of the three models on one case with one seed."""

    scores: dict[str, Score]
    learner: str
    split: str
    tried: int  # candidates cross-validated before the time budget ran out
    leaks: list[LeakSuspect]
    y_held: Labels
    probabilities: dict[str, npt.NDArray[np.float64]]  # each model's, on the held-out rows


def measure(y: Labels, probability: npt.NDArray[np.float64], seconds: float) -> Score:
    """ROC-AUC, average precision and Brier of `probability` against `y`."""
    return Score(
        float(roc_auc_score(y, probability)),
        float(average_precision_score(y, probability)),
        float(brier_score_loss(y, probability)),
        seconds,
    )


BOOTSTRAPS = 1_000


# --- baselines ----------------------------------------------------------------------------


def column_kinds(train: pl.DataFrame) -> dict[str, str]:
    """Each column as "numeric", "date" or "category", judged on the training rows only."""
    kinds: dict[str, str] = {}
    for name in train.columns:
        present = train[name].drop_nulls()
        numbers = present.str.replace_all(",", "").cast(pl.Float64, strict=False)
        if present.len() and share(numbers) >= NUMERIC_SHARE:
            kinds[name] = "numeric"
        elif present.len() and share(read_dates(present)) >= DATE_SHARE:
            kinds[name] = "date"
        else:
            kinds[name] = "category"
    return kinds


def share(values: pl.Series) -> float:
    """The share of filled cells."""
    return float(values.is_not_null().cast(pl.Float64).mean() or 0.0)


def read_dates(text: pl.Series) -> pl.Series:
    """Text as dates in the format of its first value; all null when it has none."""
    try:
        return text.str.to_date(strict=False)
    except pl.exceptions.ComputeError:
        return pl.Series(text.name, [None] * text.len(), dtype=pl.Date)


def as_number(name: str, kind: str) -> pl.Expr:
    """A numeric column as floats, a date column as days since 1970; unreadable cells null."""
    if kind == "numeric":
        return pl.col(name).str.replace_all(",", "").cast(pl.Float64, strict=False)
    days = pl.col(name).str.to_date(strict=False) - EPOCH
    return days.dt.total_days().cast(pl.Float64)


def tree_matrix(
    train: pl.DataFrame, held: pl.DataFrame, kinds: dict[str, str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[int]]:
    """Numbers as floats and categories as codes from the training rows' levels; empty or
    unseen categories are NaN, which LightGBM reads as missing as it does negative codes (and
    without warning about them). Both parts are coded the same way."""
    missing = float("nan")
    exprs: list[pl.Expr] = []
    for name, kind in kinds.items():
        if kind == "category":
            levels = sorted(train[name].drop_nulls().unique().to_list())
            codes = {level: float(i) for i, level in enumerate(levels)}
            coded = pl.col(name).replace_strict(codes, default=missing, return_dtype=pl.Float64)
            exprs.append(coded.fill_null(missing).alias(name))
        else:
            exprs.append(as_number(name, kind).fill_null(float("nan")).alias(name))
    categorical = [i for i, kind in enumerate(kinds.values()) if kind == "category"]
    return (
        train.select(exprs).to_numpy().astype(np.float64),
        held.select(exprs).to_numpy().astype(np.float64),
        categorical,
    )


def plain_lightgbm(
    train: pl.DataFrame, y_train: Labels, held: pl.DataFrame, y_held: Labels, seed: int
) -> tuple[Score, npt.NDArray[np.float64]]:
    """A hand-configured LGBMClassifier with native categorical handling."""
    started = time.perf_counter()
    kinds = column_kinds(train)
    x_train, x_held, categorical = tree_matrix(train, held, kinds)
    model = lgb.LGBMClassifier(
        n_estimators=200, learning_rate=0.05, num_leaves=31, verbose=-1, random_state=seed
    )
    model.fit(x_train, y_train, categorical_feature=categorical)
    probability = model.predict_proba(x_held)[:, 1]
    return measure(y_held, probability, time.perf_counter() - started), probability


def object_matrix(frame: pl.DataFrame, kinds: dict[str, str]) -> npt.NDArray[np.object_]:
    """Numbers as floats (NaN when empty), categories as text (None when empty)."""
    exprs = [
        as_number(name, kind).fill_null(float("nan")) if kind != "category" else pl.col(name)
        for name, kind in kinds.items()
    ]
    columns = [series.to_numpy().astype(object) for series in frame.select(exprs)]
    matrix = np.empty((frame.height, len(columns)), dtype=object)
    for index, column in enumerate(columns):
        matrix[:, index] = column
    return matrix


def plain_logistic(
    train: pl.DataFrame, y_train: Labels, held: pl.DataFrame, y_held: Labels, seed: int
) -> tuple[Score, npt.NDArray[np.float64]]:
    """Median-imputed scaled numbers and one-hot categories into a logistic regression."""
    started = time.perf_counter()
    kinds = column_kinds(train)
    numeric = [i for i, kind in enumerate(kinds.values()) if kind != "category"]
    categorical = [i for i, kind in enumerate(kinds.values()) if kind == "category"]
    prepare = ColumnTransformer(
        [
            (
                "numeric",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                numeric,
            ),
            (
                "categorical",
                Pipeline(
                    [
                        (
                            "impute",
                            SimpleImputer(
                                missing_values=None, strategy="constant", fill_value="missing"
                            ),
                        ),
                        ("encode", OneHotEncoder(handle_unknown="ignore", min_frequency=10)),
                    ]
                ),
                categorical,
            ),
        ]
    )
    model = Pipeline(
        [("prepare", prepare), ("learn", LogisticRegression(max_iter=2000, random_state=seed))]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            model.fit(object_matrix(train, kinds), y_train)
        except ConvergenceWarning:
            print("  (plain logistic did not converge in 2000 iterations)", flush=True)
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(object_matrix(train, kinds), y_train)
    probability = model.predict_proba(object_matrix(held, kinds))[:, 1]
    return measure(y_held, probability, time.perf_counter() - started), probability


# --- runs ---------------------------------------------------------------------------------


def run_case(case: Case, seed: int) -> Outcome:
    """leadrank's default training, then both baselines on its split."""
    started = time.perf_counter()
    result: TrainResult = fit_table(
        case.frame,
        case.y,
        target=case.target,
        options=TrainOptions(exclude=case.exclude, seed=seed),
    )
    seconds = time.perf_counter() - started
    train_rows: Rows = np.asarray(result.train_rows, dtype=np.int64)
    held_rows: Rows = np.asarray(result.held_rows, dtype=np.int64)
    held = case.frame[held_rows.tolist()]
    y_train, y_held = case.y[train_rows], case.y[held_rows]
    probability = result.bundle.probability(result.bundle.matrix(held))
    ours = measure(y_held, probability, seconds)
    if (
        result.evaluation.roc_auc is not None
        and abs(result.evaluation.roc_auc - ours.roc_auc) > 1e-6
    ):
        print(
            f"  note: leadrank's own held-out ROC-AUC {result.evaluation.roc_auc:.4f} "
            f"differs from the one measured here {ours.roc_auc:.4f}",
            flush=True,
        )
    dropped = set(case.exclude) | set(ID_COLUMNS)
    columns = [c for c in case.frame.columns if c not in dropped]
    train = case.frame[train_rows.tolist()].select(columns)
    held = held.select(columns)
    trees, tree_probability = plain_lightgbm(train, y_train, held, y_held, seed)
    linear, linear_probability = plain_logistic(train, y_train, held, y_held, seed)
    return Outcome(
        {MODELS[0]: ours, MODELS[1]: trees, MODELS[2]: linear},
        str(result.bundle.metadata["learner"]),
        result.split,
        len(result.tried),
        result.leaks,
        y_held,
        {MODELS[0]: probability, MODELS[1]: tree_probability, MODELS[2]: linear_probability},
    )


def auc_gap_interval(outcomes: list[Outcome], baseline: str) -> tuple[float, float]:
    """95% interval of leadrank's ROC-AUC minus `baseline`'s (mean over seeds), from a paired
    bootstrap of the held-out rows: how much of a gap the held-out split's noise explains."""
    gaps = np.zeros(BOOTSTRAPS)
    for number, outcome in enumerate(outcomes):
        rng = np.random.default_rng(number)
        y = outcome.y_held
        ours, theirs = outcome.probabilities[MODELS[0]], outcome.probabilities[baseline]
        # Resampled within each class, so every resample has both and its AUC exists.
        classes = [np.flatnonzero(y == label) for label in (0, 1)]
        for index in range(BOOTSTRAPS):
            rows = np.concatenate([rng.choice(c, size=len(c)) for c in classes])
            gaps[index] += roc_auc_score(y[rows], ours[rows]) - roc_auc_score(y[rows], theirs[rows])
    gaps /= len(outcomes)
    low, high = np.quantile(gaps, [0.025, 0.975])
    return float(low), float(high)


def mean_scores(outcomes: list[Outcome]) -> dict[str, Score]:
    """Each model's figures averaged over the seeds."""
    return {
        model: Score(
            *(
                float(np.mean([getattr(o.scores[model], field) for o in outcomes]))
                for field in ("roc_auc", "pr_auc", "brier", "seconds")
            )
        )
        for model in MODELS
    }


def signed(value: float) -> str:
    """+0.004 / -0.012."""
    return f"{value:+.3f}"


def report(case: Case, outcomes: list[Outcome], *, note: str = "") -> None:
    """The table, the learner, and the verdict of one case."""
    seeds = len(outcomes)
    positives = int(case.y.sum())
    print(
        f"\n{case.name}: {len(case.y):,} labelled rows ({positives:,} positive), "
        f"split {outcomes[0].split}" + (f"; mean of {seeds} seeds" if seeds > 1 else ""),
    )
    if case.exclude:
        print(f"  excluded: {', '.join(case.exclude)}")
    dropped = sorted({s.column for o in outcomes for s in o.leaks if s.exclude})
    if dropped:
        print(f"  leadrank also left out as suspected leaks: {', '.join(dropped)}")
    scores = mean_scores(outcomes)
    print(f"  {'model':<18} {'ROC-AUC':>8} {'PR-AUC':>8} {'Brier':>8} {'seconds':>8}")
    for model in MODELS:
        s = scores[model]
        print(f"  {model:<18} {s.roc_auc:8.3f} {s.pr_auc:8.3f} {s.brier:8.4f} {s.seconds:8.1f}")
    if seeds > 1:
        spread = {m: float(np.std([o.scores[m].roc_auc for o in outcomes])) for m in MODELS}
        print(
            "  ROC-AUC sd over seeds: "
            + ", ".join(f"{model} {spread[model]:.3f}" for model in MODELS)
        )
    learners = Counter(o.learner for o in outcomes)
    print(
        "  learner leadrank chose: "
        + ", ".join(
            f"{learner}" + (f" ({count} of {seeds} seeds)" if seeds > 1 else "")
            for learner, count in learners.most_common()
        )
        + "; candidates tried within its time budget: "
        + ", ".join(f"{o.tried} of {len(CANDIDATES)}" for o in outcomes)
    )
    ours = scores[MODELS[0]]
    best = max(MODELS[1:], key=lambda m: scores[m].roc_auc)
    best_auc = scores[best].roc_auc
    best_brier = min(scores[m].brier for m in MODELS[1:])
    low, high = auc_gap_interval(outcomes, best)
    # "Matches" is equal at the three decimals shown, or a gap the split's noise explains.
    auc_ok = round(ours.roc_auc - best_auc, 3) >= 0
    within_noise = not auc_ok and low <= 0 <= high
    brier_ok = round(ours.brier - best_brier, 4) <= 0
    verdict = "yes" if auc_ok else ("within noise" if within_noise else "no")
    print(
        f"  default training matches or beats both on ROC-AUC: {verdict} "
        f"(Δ vs best baseline {signed(ours.roc_auc - best_auc)}, 95% bootstrap interval "
        f"{signed(low)} to {signed(high)}); "
        f"Brier: {'yes' if brier_ok else 'no'} (Δ vs best baseline {ours.brier - best_brier:+.4f})"
        + (f" {note}" if note else "")
    )


def named_leaks(expected: tuple[str, ...], leaks: list[LeakSuspect]) -> tuple[list[str], list[str]]:
    """Which of `expected` leadrank's warnings name, and which they miss."""
    named = {s.column for s in leaks}
    return [c for c in expected if c in named], [c for c in expected if c not in named]


def print_leak_check(title: str, expected: tuple[str, ...], runs: list[list[LeakSuspect]]) -> None:
    """Named / missed, per seed only when the seeds disagree."""
    checks = [named_leaks(expected, leaks) for leaks in runs]
    print(f"  {title}")
    shown = checks[:1] if all(c == checks[0] for c in checks) else checks
    for seed, (named, missed) in enumerate(shown):
        prefix = f"seed {seed}: " if len(shown) > 1 else ""
        print(f"    {prefix}named {len(named)} of {len(expected)}: {', '.join(named) or '-'}")
        print(f"    {prefix}missed: {', '.join(missed) or 'none'}")
    by_column = {s.column: s for s in runs[0]}
    for column in expected:
        if column in by_column:
            suspect = by_column[column]
            action = "left out" if suspect.exclude else "warned, kept"
            print(f"      {column}: {suspect.evidence} ({action})")


# --- datasets -----------------------------------------------------------------------------


def x_education(datasets: Path) -> tuple[pl.DataFrame, Labels]:
    """The leads with a 0/1 Converted, target column removed."""
    frame = read_frame(datasets / "x_education" / "Leads.csv")
    outcome = binary_target(frame, "Converted")
    return frame.filter(pl.Series(outcome.labelled)).drop("Converted"), outcome.y


def maven_crm(datasets: Path) -> tuple[pl.DataFrame, Labels]:
    """Won and Lost deals with their account, product and sales team, deal_stage removed."""
    folder = datasets / "maven_crm"
    pipeline = read_frame(folder / "sales_pipeline.csv").with_columns(
        # products.csv spells it "GTX Pro" (see SOURCE.txt)
        pl.col("product").replace({"GTXPro": "GTX Pro"})
    )
    frame = (
        pipeline.join(read_frame(folder / "accounts.csv"), on="account", how="left")
        .join(read_frame(folder / "products.csv"), on="product", how="left")
        .join(read_frame(folder / "sales_teams.csv"), on="sales_agent", how="left")
        .with_columns(pl.all().cast(pl.String))
    )
    outcome = binary_target(frame, "deal_stage", positive=["Won"], negative=["Lost"])
    return frame.filter(pl.Series(outcome.labelled)).drop("deal_stage"), outcome.y


def main() -> None:
    """X Education without and with its leaky columns, then Maven CRM."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--seeds", type=int, default=1, help="repeat with seeds 0..K-1")
    args = parser.parse_args()
    if not (args.datasets / "x_education" / "Leads.csv").is_file():
        sys.exit(f"no X Education data in {args.datasets}; pass --datasets DIR")
    seeds = range(max(1, args.seeds))

    frame, y = x_education(args.datasets)
    clean = Case("X Education, leaky columns excluded", frame, y, "Converted", X_EDUCATION_LEAKS)
    report(clean, [run_case(clean, seed) for seed in seeds])
    raw = Case("X Education, nothing excluded", frame, y, "Converted", ())
    outcomes = [run_case(raw, seed) for seed in seeds]
    report(raw, outcomes, note="(the baselines see the leaky columns leadrank leaves out)")
    print_leak_check(
        "leadrank's leak warnings on the nine leaky columns:",
        X_EDUCATION_LEAKS,
        [o.leaks for o in outcomes],
    )

    frame, y = maven_crm(args.datasets)
    maven = Case("Maven CRM, Won vs Lost", frame, y, "deal_stage", MAVEN_LEAKS)
    report(maven, [run_case(maven, seed) for seed in seeds])
    plan = infer_plan(frame)
    print_leak_check(
        "leadrank's leak warnings with nothing excluded (leak check only, no training):",
        MAVEN_LEAKS,
        [find_leaks(frame, y, plan, seed=seed) for seed in seeds],
    )


if __name__ == "__main__":
    main()
