"""`leadrank evaluate`: a model's held-out metrics, or its metrics on a new labelled table,
with the HTML report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.features.frames import read_frame
from leadrank.orm.scoring import ModelVersion
from leadrank.training import registry
from leadrank.training.bundle import REPORT_FILE
from leadrank.training.evaluation import Evaluation, evaluate
from leadrank.training.report import render_report, write_report
from leadrank.training.table import last_table_model
from leadrank.training.target import binary_target


@dataclass
class Assessment:
    """Metrics of one model on one labelled set, and where the report went."""

    label: str
    described: str
    evaluation: Evaluation
    report: Path


def assess(
    session: Session,
    *,
    reference: str | None,
    data: Path | None,
    target: str | None,
    data_dir: Path,
    report: Path | None = None,
) -> Assessment:
    """Evaluate a registered model on its held-out split, or on `data` when given."""
    model = registry.find(session, reference) if reference else _default(session, data_dir)
    bundle = registry.load(model)
    meta = bundle.metadata
    if data is None:
        evaluation = Evaluation.model_validate(meta["metrics"])
        described = f"held-out split of its training data ({meta.get('split', '')})"
    else:
        frame = read_frame(data)
        column = target or str(meta.get("target", ""))
        outcome = binary_target(frame, column, positive=meta.get("positive"))
        labelled = frame.filter(pl.Series(outcome.labelled))
        probability = bundle.probability(bundle.matrix(labelled))
        evaluation = evaluate(outcome.y.astype(np.int64), probability)
        described = f"{outcome.y.size:,} labelled rows of {data.name}"
    path = report or Path(model.path or data_dir) / REPORT_FILE
    facts = [
        ("model", registry.label(model)),
        ("stage", model.stage),
        ("predicts", model.target),
        ("evaluated on", described),
        ("learner", str(meta.get("learner", model.algorithm))),
        ("data hash", model.data_hash),
    ]
    html = render_report(
        title=f"{registry.label(model)}: {model.target}",
        evaluation=evaluation,
        facts=facts,
        warnings=[f"'{leak['column']}' {leak['evidence']}" for leak in meta.get("leaks", [])],
        importances=[(str(n), float(s)) for n, s in meta.get("importances", [])[:20]],
    )
    return Assessment(registry.label(model), described, evaluation, write_report(path, html))


def _default(session: Session, data_dir: Path) -> ModelVersion:
    active = registry.active_model(session)
    if active is not None:
        return active
    try:
        return last_table_model(session, data_dir)
    except BadInput:
        raise BadInput("no model to evaluate: train one first, or name one with --model") from None
