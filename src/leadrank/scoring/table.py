"""Scoring any table with a trained model (`leadrank score --data FILE -o OUT`): every input
row with its probability, score 0-100, grade, confidence and reasons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.features.frames import read_frame
from leadrank.grades import GradeScale
from leadrank.kit.tables import free_column_name, write_table
from leadrank.scoring.model_scores import score_frame
from leadrank.training import registry
from leadrank.training.bundle import ModelBundle
from leadrank.training.table import last_table_model

OUTPUT_COLUMNS = ("probability", "score", "grade", "confidence", "reasons")


@dataclass
class TableScoring:
    """What `score --data` wrote."""

    rows: int
    grades: dict[str, int]
    mean_probability: float
    missing_columns: list[str]


def score_table(
    *,
    path: Path,
    output: Path,
    bundle: ModelBundle,
    grades: GradeScale | None = None,
    safe_cells: bool = True,
) -> TableScoring:
    """Write every input row with probability, score 0-100, grade, confidence and reasons
    (`safe_cells`: see `kit.tables.write_table`)."""
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
    write_table(pl.concat([frame, named], how="horizontal"), output, safe_cells=safe_cells)
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
