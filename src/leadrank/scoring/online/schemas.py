"""Request and response of `POST /api/v1/scoring/score`.

These are msgspec structs rather than pydantic models: the scoring endpoint is the hot path,
and msgspec decodes and validates a 500-lead request several times faster, and encodes the
answer without an intermediate dict. Their JSON Schema goes into the OpenAPI document, so
clients see the same contract either way.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

import msgspec

from leadrank.scoring.online.lead_table import CORE_FIELDS, RECENCY_FIELD

MAX_LEADS = 500
MAX_CUSTOM_FEATURES = 100

Count = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
Amount = Annotated[float, msgspec.Meta(ge=0, le=1e15)]
Label = Annotated[str, msgspec.Meta(max_length=200)]
Text = Annotated[str, msgspec.Meta(max_length=500)]
FeatureName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class ApiLead(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One lead: any of the 16 core fields, optional custom numbers and identity."""

    company_size: Label | None = None
    industry: Label | None = None
    job_title: Text | None = None
    seniority_level: Label | None = None
    geography: Label | None = None
    email_engagement_score: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None
    website_sessions: Count | None = None
    pages_viewed: Count | None = None
    time_on_site: Amount | None = None  # seconds
    form_fills: Count | None = None
    content_downloads: Count | None = None
    campaign_touchpoints: Count | None = None
    last_campaign_interaction: datetime | None = None
    account_revenue: Amount | None = None
    account_employees: Count | None = None
    existing_customer: bool | None = None
    custom_features: (
        Annotated[
            dict[FeatureName, Annotated[float, msgspec.Meta(ge=-1e15, le=1e15)]],
            msgspec.Meta(max_length=MAX_CUSTOM_FEATURES),
        ]
        | None
    ) = None
    id: Label | None = None  # echoed back, so answers can be matched to leads
    email: Label | None = None
    name: Label | None = None
    company: Label | None = None
    domain: Label | None = None


class ScoreRequest(msgspec.Struct, forbid_unknown_fields=True):
    """1 to 500 leads to score."""

    leads: Annotated[list[ApiLead], msgspec.Meta(min_length=1, max_length=MAX_LEADS)]
    request_id: Label | None = None


# What a score says when nothing it knows speaks for or against the lead.
NOTHING_SAID = "nothing known about this lead moves its score"


def said(positive: list[str], negative: list[str]) -> list[str]:
    """The reasons against, or NOTHING_SAID when there is no reason either way."""
    return negative if positive or negative else [NOTHING_SAID]


class Reasons(msgspec.Struct):
    """The top reasons for and against, in words with their points, and what the model relies
    on that the lead did not say (never a reason: it earns no points)."""

    positive: list[str]
    negative: list[str]
    not_known: list[str] = msgspec.field(default_factory=list)


class LeadScore(msgspec.Struct):
    """One lead's score."""

    score: int  # 1 (grade E) to 5 (grade A)
    score_100: float
    probability: float | None
    grade: str
    confidence: float
    features_used: int
    reasons: Reasons
    prediction_time_ms: float
    id: str | None = None


class ScoreResponse(msgspec.Struct):
    """Every lead's score, in the order of the request."""

    request_id: str
    timestamp: datetime
    total_leads: int
    processing_time_ms: float
    model_version: str
    status: str
    scores: list[LeadScore]


RESERVED_NAMES = frozenset((*CORE_FIELDS, RECENCY_FIELD))
GRADE_POINTS = {"A": 5, "B": 4, "C": 3, "D": 2, "E": 1}  # the 1-5 `score` of each grade


def answer(
    request: ScoreRequest,
    request_id: str,
    now: datetime,
    started: float,
    model_version: str,
    scores: list[LeadScore],
) -> ScoreResponse:
    """The response to a request whose scoring began at `started` (perf_counter)."""
    return ScoreResponse(
        request_id=request.request_id or request_id,
        timestamp=now,
        total_leads=len(scores),
        processing_time_ms=round((time.perf_counter() - started) * 1000, 3),
        model_version=model_version,
        status="success",
        scores=scores,
    )
