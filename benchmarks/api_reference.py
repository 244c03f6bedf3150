"""The reference the scoring API is measured against: a straightforward FastAPI + pydantic +
LightGBM endpoint, as a team would first write one. It takes the same request, trains a
plain LightGBM on the same generated leads at start-up, and answers with a probability, a
score and a grade per lead (no reasons, no confidence: less work than leadrank does).

Run by benchmarks/api_load.py as `uvicorn api_reference:app --workers 2`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import lightgbm as lgb
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel, Field

from leadrank.sample.api_leads import SENIORITY, SIZES, api_training_table
from leadrank.scoring.online.lead_table import NUMBER_FIELDS as NUMBERS

SIZE_CODES = {size: float(i) for i, size in enumerate(SIZES)}
SENIORITY_CODES = {level: float(i) for i, level in enumerate(SENIORITY)}


class Lead(BaseModel):
    company_size: str | None = None
    industry: str | None = None
    job_title: str | None = None
    seniority_level: str | None = None
    geography: str | None = None
    email_engagement_score: float | None = Field(default=None, ge=0, le=100)
    website_sessions: int | None = Field(default=None, ge=0)
    pages_viewed: int | None = Field(default=None, ge=0)
    time_on_site: float | None = Field(default=None, ge=0)
    form_fills: int | None = Field(default=None, ge=0)
    content_downloads: int | None = Field(default=None, ge=0)
    campaign_touchpoints: int | None = Field(default=None, ge=0)
    last_campaign_interaction: datetime | None = None
    account_revenue: float | None = Field(default=None, ge=0)
    account_employees: int | None = Field(default=None, ge=0)
    existing_customer: bool | None = None
    custom_features: dict[str, float] | None = None


class ScoreRequest(BaseModel):
    request_id: str | None = None
    leads: list[Lead] = Field(min_length=1, max_length=500)


class LeadScore(BaseModel):
    score: int
    score_100: float
    probability: float
    grade: str


class ScoreResponse(BaseModel):
    request_id: str | None
    timestamp: datetime
    total_leads: int
    processing_time_ms: float
    scores: list[LeadScore]


def _row(lead: Lead, now: datetime) -> list[float]:
    days = (
        (now - lead.last_campaign_interaction).total_seconds() / 86_400
        if lead.last_campaign_interaction
        else np.nan
    )
    numbers = [getattr(lead, name) for name in NUMBERS]
    return [
        SIZE_CODES.get(lead.company_size or "", np.nan),
        SENIORITY_CODES.get(lead.seniority_level or "", np.nan),
        *[np.nan if v is None else float(v) for v in numbers],
        np.nan if lead.existing_customer is None else float(lead.existing_customer),
        days,
    ]


def _train() -> lgb.Booster:
    frame, converted = api_training_table()
    x = np.column_stack(
        [
            frame["company_size"].replace_strict(SIZE_CODES, default=None).to_numpy(),
            frame["seniority_level"].replace_strict(SENIORITY_CODES, default=None).to_numpy(),
            *[frame[name].to_numpy() for name in NUMBERS],
            frame["existing_customer"].cast(float).to_numpy(),
            frame["days_since_last_campaign_interaction"].to_numpy(),
        ]
    ).astype(np.float64)
    data = lgb.Dataset(x, label=converted)
    params = {"objective": "binary", "num_leaves": 31, "learning_rate": 0.05, "verbose": -1}
    params["num_threads"] = 1
    return lgb.train(params, data, num_boost_round=200)


app = FastAPI()
booster = _train()


@app.post("/api/v1/scoring/score", response_model=ScoreResponse)
def score(request: ScoreRequest) -> ScoreResponse:
    started = time.perf_counter()
    now = datetime.now(UTC)
    matrix = np.array([_row(lead, now) for lead in request.leads], dtype=np.float64)
    probability = booster.predict(matrix)
    scores = [
        LeadScore(
            score=1 + min(int(p * 5), 4),
            score_100=round(float(p) * 100, 1),
            probability=round(float(p), 4),
            grade="ABCDE"[4 - min(int(p * 5), 4)],
        )
        for p in probability
    ]
    return ScoreResponse(
        request_id=request.request_id,
        timestamp=now,
        total_leads=len(scores),
        processing_time_ms=round((time.perf_counter() - started) * 1000, 3),
        scores=scores,
    )
