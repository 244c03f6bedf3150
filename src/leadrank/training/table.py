"""Train on any table (CSV, JSONL, Parquet, Excel) with an outcome column: the stateless way
in. Models go to the workspace registry and their files under the data directory; the last
table model trained in a directory is what `leadrank score --data` uses by default
(`scoring/table.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.features.frames import read_frame
from leadrank.orm.scoring import ModelVersion
from leadrank.training import registry
from leadrank.training.bundle import REPORT_FILE
from leadrank.training.fit import TrainOptions, TrainResult, fit_table
from leadrank.training.report import render_report, write_report
from leadrank.training.target import binary_target

LAST_MODEL_FILE = "last-table-model"


@dataclass
class TableTraining:
    """A trained table model, where it went, and what was left out."""

    result: TrainResult
    model: ModelVersion
    report: Path
    target: str
    unlabelled: int


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
    window = meta.get("data_window")
    if window:
        known = f"; outcomes known up to {window['as_of'][:10]}" if window.get("as_of") else ""
        period = f"{window['start'][:10]} to {window['end'][:10]}, by {window['column']}{known}"
        facts.insert(6, ("data window", period))
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
