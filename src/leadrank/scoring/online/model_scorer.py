"""Stateless scoring for the API: a request's leads through the model that serves the API.

The leads become the table `api_frame` builds and go through `score_frame`, the same code
that scores a file with `leadrank score --data`, so an answer never differs from what the
same model gives a table.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from leadrank.scoring.model_scores import score_frame
from leadrank.scoring.online.compiled import Scored, compile_scorer
from leadrank.scoring.online.lead_table import api_frame_of, api_values
from leadrank.scoring.online.schemas import (
    GRADE_POINTS,
    RESERVED_NAMES,
    ApiLead,
    LeadScore,
    Reasons,
    ScoreRequest,
    ScoreResponse,
    answer,
    said,
)
from leadrank.scoring.online.served_model import ApiModel


class ApiScorer:
    """Scores requests with one model: through its compiled path when it has one, else
    through Polars as `leadrank score --data` does."""

    def __init__(self, model: ApiModel) -> None:
        self.model = model
        self.compiled = compile_scorer(model)

    def score(self, request: ScoreRequest, *, request_id: str) -> ScoreResponse:
        """Score every lead of a request, in its order."""
        started = time.perf_counter()
        now = datetime.now(UTC)
        results = self.score_leads(request.leads, now=now)
        return answer(request, request_id, now, started, self.model.version, results)

    def score_leads(self, leads: Sequence[ApiLead], *, now: datetime) -> list[LeadScore]:
        """Each lead's score, in order; recency is counted back from `now`."""
        started = time.perf_counter()
        model, rows = self.model, len(leads)
        values = api_values(leads, now=now, custom_names=model.custom_names)
        scored = (
            self.compiled.score(values, rows) if self.compiled else _through_polars(model, values)
        )
        score_100 = np.asarray(model.bundle.score(scored.probability), dtype=np.float64)
        per_lead = round((time.perf_counter() - started) * 1000 / rows, 3)
        hundreds: list[float] = score_100.tolist()  # already to tenths: see ModelBundle.score
        # round() is slow for floats (it is exact); leads share few confidence values.
        confidence = {c: round(c, 2) for c in set(scored.confidence)}
        # Positional fields, in LeadScore's order: a keyword call costs twice as much, 500 times.
        return [
            LeadScore(
                GRADE_POINTS[grade],
                value,
                round(p, 4),
                grade,
                confidence[c],
                n,
                Reasons(pos, said(pos, neg), unknown),
                per_lead,
                lead.id,
            )
            for lead, value, grade, p, c, n, pos, neg, unknown in zip(
                leads,
                hundreds,
                model.grades.grades(hundreds),
                scored.probability.tolist(),
                scored.confidence,
                scored.features_used,
                scored.positive,
                scored.negative,
                scored.not_known,
                strict=True,
            )
        ]


def _through_polars(model: ApiModel, values: dict[str, list[Any]]) -> Scored:
    """The same scores through `score_frame`, the path of `leadrank score --data`."""
    frame = api_frame_of(values)
    scores = score_frame(model.bundle, frame)
    return Scored(
        scores.probability,
        scores.confidence.tolist(),
        _features_used(frame, model.input_columns),
        scores.positive.to_list(),
        scores.negative.to_list(),
        scores.not_known.to_list(),
    )


def reserved_custom_names(request: ScoreRequest) -> list[str]:
    """Custom feature names that would shadow a core field."""
    return sorted(
        {name for lead in request.leads for name in (lead.custom_features or {})} & RESERVED_NAMES
    )


def _features_used(frame: pl.DataFrame, columns: list[str]) -> list[int]:
    present = [c for c in columns if c in frame.columns]
    if not present:
        return [0] * frame.height
    counts = frame.select(pl.sum_horizontal(pl.col(c).is_not_null() for c in present))
    return counts.to_series().to_list()
