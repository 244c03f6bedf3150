"""Train and score on any table (CSV, JSONL, Parquet, Excel) with an outcome column: the
stateless way in. Models go to the workspace registry and their files under the data
directory; the last table model trained in a directory is what `score` uses by default."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.kit.readers import EXTRA_FIELDS_COLUMN, read_table
from leadrank.kit.tables import free_column_name, write_table
from leadrank.orm.scoring import ModelVersion
from leadrank.scoring.grades import GradeScale
from leadrank.scoring.model_scores import score_frame
from leadrank.training import registry
from leadrank.training.bundle import REPORT_FILE, ModelBundle
from leadrank.training.fit import TrainOptions, TrainResult, fit_table
from leadrank.training.report import render_report, write_report
from leadrank.training.target import binary_target

LAST_MODEL_FILE = "last-table-model"
OUTPUT_COLUMNS = ("probability", "score", "grade", "confidence", "reasons")


@dataclass
class TableTraining:
    """A trained table model, where it went, and what was left out."""

    result: TrainResult
    model: ModelVersion
    report: Path
    target: str
    unlabelled: int


def read_frame(path: Path) -> pl.DataFrame:
    """A table's columns as text, whatever its format."""
    return read_table(path).frame.drop(EXTRA_FIELDS_COLUMN, strict=False)


def train_table(
    session: Session,
    *,
    path: Path,
    target: str,
    data_dir: Path,
    positive: list[str] | None = None,
    negative: list[str] | None = None,
    name: str | None = None,
    options: TrainOptions | None = None,
) -> TableTraining:
    """Train on a file's labelled rows, register the model and write its report."""
    frame = read_frame(path)
    outcome = binary_target(frame, target, positive=positive, negative=negative)
    labelled = frame.filter(pl.Series(outcome.labelled)).drop(target)
    result = fit_table(labelled, outcome.y, target=target, options=options or TrainOptions())
    result.bundle.metadata.update({"source": path.name, "positive": outcome.positive_values})
    model = registry.register(
        session,
        bundle=result.bundle,
        name=name or registry.model_name(target),
        kind="table",
        target=outcome.described(),
        data_dir=data_dir,
    )
    report = write_report(
        Path(model.path or data_dir) / REPORT_FILE, report_html(result, model, outcome.described())
    )
    (data_dir / "models").mkdir(parents=True, exist_ok=True)
    (data_dir / "models" / LAST_MODEL_FILE).write_text(registry.label(model), encoding="utf-8")
    return TableTraining(result, model, report, outcome.described(), outcome.unlabelled)


def report_html(result: TrainResult, model: ModelVersion, target: str) -> str:
    """The HTML report of a training run."""
    meta = result.bundle.metadata
    chosen = [f"{t.candidate.label}: CV AUC {t.auc:.3f}" for t in result.tried]
    facts = [
        ("model", registry.label(model)),
        ("stage", model.stage),
        ("predicts", target),
        ("learner", f"{meta['learner']}, calibrated (Platt)"),
        ("compared", "; ".join(chosen)),
        ("labelled rows", f"{meta['rows']:,} ({meta['positives']:,} positive)"),
        ("held-out split", result.split),
        ("features", f"{len(meta['features'])} from {len(result.importances)} columns"),
        ("data hash", str(meta["data_hash"])),
        ("trained", str(meta["trained_at"])),
    ]
    return render_report(
        title=f"{registry.label(model)}: {target}",
        evaluation=result.evaluation,
        facts=facts,
        warnings=result.warnings,
        importances=result.importances[:20],
    )


def last_table_model(session: Session, data_dir: Path) -> ModelVersion:
    """The model the last `train --data` in this directory produced."""
    pointer = data_dir / "models" / LAST_MODEL_FILE
    if not pointer.exists():
        raise BadInput(
            "no model yet: train one with `leadrank train --data FILE --target COLUMN` "
            "or name one with --model"
        )
    return registry.find(session, pointer.read_text(encoding="utf-8").strip())


@dataclass
class TableScoring:
    """What `score --data` wrote."""

    rows: int
    grades: dict[str, int]
    mean_probability: float
    missing_columns: list[str]


def score_table(
    *, path: Path, output: Path, bundle: ModelBundle, grades: GradeScale | None = None
) -> TableScoring:
    """Write every input row with probability, score 0-100, grade, confidence and reasons."""
    if path.resolve() == output.resolve():
        raise BadInput("the output file must differ from the input file")
    frame = read_frame(path)
    scores = score_frame(bundle, frame)
    score = pl.Series(bundle.score(scores.probability))
    added = pl.DataFrame(
        {
            "probability": np.round(scores.probability, 4),
            "score": score,
            "confidence": np.round(scores.confidence, 2),
        }
    ).with_columns(
        (grades or GradeScale()).grade(pl.col("score")).alias("grade"),
        pl.concat_list(scores.positive, scores.negative).alias("reasons"),
    )
    taken = {c.casefold() for c in frame.columns}
    named = added.select(OUTPUT_COLUMNS).rename(
        {c: free_column_name(c, taken) for c in OUTPUT_COLUMNS}
    )
    write_table(pl.concat([frame, named], how="horizontal"), output)
    counts = added["grade"].value_counts()
    return TableScoring(
        rows=frame.height,
        grades={str(g): int(n) for g, n in counts.iter_rows()},
        mean_probability=float(scores.probability.mean()) if frame.height else 0.0,
        missing_columns=[c.name for c in bundle.plan.used if c.name not in frame.columns],
    )


def load_model(session: Session, reference: str | None, data_dir: Path) -> ModelBundle:
    """A model by registry name ("converted", "converted:v2"), by directory, or the last
    table model trained here."""
    if reference is None:
        return registry.load(last_table_model(session, data_dir))
    if Path(reference).is_dir():
        return ModelBundle.load(Path(reference))
    return registry.load(registry.find(session, reference))
