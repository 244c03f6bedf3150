"""The demo model that ships with leadrank reads exactly the API's columns and ranks the
generated leads it was made from the way their outcomes went."""

from __future__ import annotations

import json

import numpy as np

from leadrank.sample.api_leads import api_training_table
from leadrank.scoring.model_scores import score_frame
from leadrank.scoring.online.served_model import DEMO_MODEL_DIR, demo_model
from leadrank.training.evaluation import evaluate


def test_the_demo_model_fits_the_api_and_its_leads() -> None:
    model = demo_model()
    frame, converted = api_training_table(rows=4_000, seed=21)  # leads it never saw
    assert [c.name for c in model.bundle.plan.used] == frame.columns
    assert model.custom_names == [] and model.version == "demo:v1"
    probability = score_frame(model.bundle, frame).probability
    measured = evaluate(converted.astype(np.int64), probability, segments={})
    assert measured.roc_auc is not None and measured.roc_auc > 0.7
    stored = json.loads((DEMO_MODEL_DIR / "metadata.json").read_text())
    assert stored["metrics"]["roc_auc"] > 0.7 and stored["name"] == "demo"
