"""The API's compiled path gives exactly what the Polars path (`leadrank score --data`) gives:
the same features, probabilities, confidence and reasons, for any lead a client may send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadrank.features.auto import infer_plan
from leadrank.sample.api_leads import api_training_table, sample_api_leads
from leadrank.scoring.online.compiled import CompiledScorer, compile_scorer
from leadrank.scoring.online.lead_table import api_frame_of, api_values
from leadrank.scoring.online.model_scorer import _through_polars
from leadrank.scoring.online.schemas import ApiLead
from leadrank.scoring.online.served_model import ApiModel, demo_model
from leadrank.training import learners
from leadrank.training.bundle import ModelBundle
from leadrank.training.fit import _fit_chosen

NOW = datetime(2026, 6, 1, tzinfo=UTC)
WORDS = ["VP of Sales", "vp", "Software", "n/a", " - ", "", "201-500", "Select", "Ünïcode ∆", "12"]


@cache
def trees_model() -> ApiModel:
    """A LightGBM model on the API's columns with a custom number and a free-text job title,
    so the tree path and every converter kind are exercised."""
    frame, y = api_training_table(rows=3_000, seed=3)
    rng = np.random.default_rng(0)
    words = np.array(["sales", "marketing", "growth", "platform", "data", "regional"])
    titles = [
        f"{t or 'staff'} {rng.choice(words)} {rng.choice(words)} team {rng.integers(1_000)}"
        for t in frame["job_title"].to_list()
    ]
    frame = frame.with_columns(
        pl.Series("job_title", titles), pl.Series("intent", rng.normal(size=frame.height) + y)
    )
    plan = infer_plan(frame)
    assert plan.columns[2].kind == "text"
    features = plan.transform(frame).to_numpy()
    trees = next(c for c in learners.CANDIDATES if c.algorithm == "lightgbm")
    tried = learners.cross_validate(
        features,
        y,
        feature_names=plan.feature_names,
        categorical=plan.categorical_features,
        folds=3,
        candidates=(trees,),
    )
    bundle = _fit_chosen(tried[0], plan, features, y, 0)
    bundle.metadata = {"importances": [["form_fills", 0.5], ["job_title", 0.3], ["intent", 0.2]]}
    return ApiModel(bundle, "trees:v1")


def _compare(model: ApiModel, leads: list[ApiLead], compiled: CompiledScorer | None = None) -> None:
    compiled = compiled or compile_scorer(model)
    assert isinstance(compiled, CompiledScorer)
    values = api_values(leads, now=NOW, custom_names=model.custom_names)
    frame = api_frame_of(values)
    assert np.array_equal(
        compiled.matrix(values, len(leads)), model.bundle.matrix(frame), equal_nan=True
    )
    fast = compiled.score(values, len(leads))
    slow = _through_polars(model, values)
    assert np.allclose(fast.probability, slow.probability, rtol=0, atol=1e-12)
    assert np.allclose(fast.confidence, slow.confidence, rtol=0, atol=1e-12)
    assert fast.features_used == slow.features_used
    assert fast.positive == slow.positive
    assert fast.negative == slow.negative
    assert fast.not_known == slow.not_known


def test_generated_leads_score_the_same_both_ways() -> None:
    leads, _ = sample_api_leads(rows=400, seed=99)
    _compare(demo_model(), leads)


lead_strategy = st.builds(
    ApiLead,
    company_size=st.none() | st.sampled_from(["51-200", "1-10", "5001+", *WORDS]),
    industry=st.none() | st.sampled_from(["Software", "Retail", *WORDS]),
    job_title=st.none()
    | st.sampled_from(["VP of Sales", "Marketing Analyst", "data platform team 7", *WORDS]),
    seniority_level=st.none() | st.sampled_from(["vp", "c_level", "manager", *WORDS]),
    geography=st.none() | st.sampled_from(["Europe", "APAC", *WORDS]),
    email_engagement_score=st.none() | st.floats(0, 100),
    website_sessions=st.none() | st.integers(0, 10_000),
    pages_viewed=st.none() | st.integers(0, 10_000),
    time_on_site=st.none() | st.floats(0, 1e7),
    form_fills=st.none() | st.integers(0, 50),
    content_downloads=st.none() | st.integers(0, 50),
    campaign_touchpoints=st.none() | st.integers(0, 50),
    last_campaign_interaction=st.none()
    | st.timedeltas(timedelta(days=-10), timedelta(days=400)).map(lambda d: NOW - d),
    account_revenue=st.none() | st.floats(0, 1e12),
    account_employees=st.none() | st.integers(0, 1_000_000),
    existing_customer=st.none() | st.booleans(),
    custom_features=st.none()
    | st.dictionaries(st.sampled_from(["intent", "other"]), st.floats(-1e6, 1e6), max_size=2),
)


@pytest.mark.parametrize("which", ["demo", "trees"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leads=st.lists(lead_strategy, min_size=1, max_size=12))
def test_any_lead_scores_the_same_both_ways(which: str, leads: list[ApiLead]) -> None:
    _compare(demo_model() if which == "demo" else trees_model(), leads)


@cache
def warm_scorer(which: str) -> CompiledScorer:
    """One compiled scorer kept across examples, so what it remembers of earlier requests
    (converted values, reason texts) is put to the test."""
    compiled = compile_scorer(demo_model() if which == "demo" else trees_model())
    assert compiled is not None
    return compiled


@pytest.mark.parametrize("which", ["demo", "trees"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leads=st.lists(lead_strategy, min_size=1, max_size=20))
def test_a_scorer_that_remembers_still_scores_the_same(which: str, leads: list[ApiLead]) -> None:
    compiled = warm_scorer(which)
    _compare(compiled.model, leads, compiled)


def test_zero_and_negative_zero_are_cited_as_each_reads() -> None:
    zeros = [ApiLead(email_engagement_score=z, form_fills=0) for z in (0.0, -0.0)] * 6
    compiled = compile_scorer(demo_model())
    assert compiled is not None
    for leads in (zeros, zeros[::-1], zeros[:1], zeros[1:2]):
        _compare(compiled.model, leads, compiled)


@settings(max_examples=60, deadline=None)
@given(probability=st.lists(st.floats(0, 1), min_size=1, max_size=50))
def test_scores_come_to_tenths_as_the_answer_shows_them(probability: list[float]) -> None:
    """The API sends ModelBundle.score's values as they are, so they must already be what
    round(v, 1) would make of them, with percentiles kept or not."""
    bundle = demo_model().bundle
    plain = ModelBundle(bundle.algorithm, bundle.plan, bundle.calibration, linear=bundle.linear)
    for model in (bundle, plain):
        scores = model.score(np.asarray(probability)).tolist()
        assert scores == [round(s, 1) for s in scores]
