"""API shapes of leads: the list item, the detail, and a page of a list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class ScorePublic(BaseModel):
    """A lead's score in one run, as served."""

    run_id: int
    model_version: str
    scored_at: datetime
    score: float
    grade: str
    probability: float | None
    fit: float | None
    engagement: float | None
    confidence: float | None
    reasons: dict[str, list[str]]


class OverridePublic(BaseModel):
    """A person's grade for the lead."""

    grade: str
    reason: str
    set_by: str
    set_at: datetime


class LeadPublic(BaseModel):
    """A lead in a list: who, where, and its latest served score and grade."""

    id: int
    full_name: str | None
    email: str | None
    job_title: str | None
    seniority: str | None
    department: str | None
    company_name: str | None
    company_domain: str | None
    country_code: str | None
    lead_source: str | None
    owner: str | None  # who in the team works the lead
    owner_source: str | None  # how the owner came: "routing:<rule>", "manual", else an import
    quality_score: float | None
    created_at: datetime
    score: float | None
    grade: str | None  # a person's override when there is one, else the computed grade
    computed_grade: str | None
    probability: float | None
    fit: float | None
    engagement: float | None
    reasons: dict[str, list[str]] | None  # {"positive": [...], "negative": [...]}
    model_version: str | None  # the run the score comes from: "converted:v3" or "rules"
    scored_at: datetime | None


class LeadPage(BaseModel):
    """One page of leads and the cursor of the next (null on the last page)."""

    items: list[LeadPublic]
    next_cursor: str | None


class EventPublic(BaseModel):
    """One event of a lead."""

    event_type: str
    occurred_at: datetime
    source: str | None


class CompanyPublic(BaseModel):
    """A lead's company."""

    id: int
    name: str | None
    domain: str | None
    industry: str | None
    employees: float | None
    revenue: float | None


class LeadDetailPublic(LeadPublic):
    """One lead in full: its fields with where each came from, company, events, score history."""

    phone_e164: str | None
    linkedin_url: str | None
    city: str | None
    state: str | None
    lead_status: str | None
    issues: list[str]
    attributes: dict[str, Any]
    provenance: dict[str, Any]  # field -> [import id, row number] of the record it came from
    # field -> {provider, at, confidence} for the values enrichment set that are still there
    enriched: dict[str, dict[str, Any]]
    company: CompanyPublic | None
    events: list[EventPublic]
    scores: list[ScorePublic]  # newest first: `scores_limit` of them (20 by default)
    scores_total: int  # every served score the lead's history holds
    override: OverridePublic | None
