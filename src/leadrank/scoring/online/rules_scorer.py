"""The scoring API with no model: the ICP rules for fit and the lead's activity for engagement,
as `leadrank score` does for a workspace without one.

A request's lead becomes the fields the ICP profile reads: seniority and department from its
title (or its seniority label), company size and revenue, industry, and what its email says
(work or free mail, role address, disposable). Engagement comes from the activity the request
reports, fading with the time since the last campaign interaction.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import polars as pl

from leadrank.grades import Blend, GradeScale
from leadrank.normalize.email import email_facts
from leadrank.normalize.titles import department_of, seniority_of, vendor_level
from leadrank.scoring.icp import Profile, score_fit
from leadrank.scoring.online.lead_table import CORE_FIELDS, days_before
from leadrank.scoring.online.schemas import (
    GRADE_POINTS,
    ApiLead,
    LeadScore,
    Reasons,
    ScoreRequest,
    ScoreResponse,
    answer,
    said,
)

RULES_VERSION = "rules"
# Points per unit of activity and the most each kind may add; 60 points make engagement 100.
ACTIVITY = (
    ("form_fills", "Form fills", 15.0, 45.0),
    ("content_downloads", "Content downloads", 10.0, 30.0),
    ("website_sessions", "Website sessions", 1.0, 10.0),
    ("campaign_touchpoints", "Campaign touchpoints", 1.0, 5.0),
)
FULL_ENGAGEMENT = 60.0
HALF_LIFE_DAYS = 30.0
_POINTS = re.compile(r"^(.*) \(([+-]?\d+(?:\.\d+)?)\)$")


class RulesScorer:
    """Scores requests with the ICP profile and the reported activity."""

    def __init__(self, profile: Profile, *, blend: Blend, grades: GradeScale) -> None:
        self.profile, self.blend, self.grades = profile, blend, grades

    def score(self, request: ScoreRequest, *, request_id: str) -> ScoreResponse:
        """Score every lead of a request, in its order."""
        started = time.perf_counter()
        now = datetime.now(UTC)
        leads = request.leads
        fit = score_fit(_profile_fields(leads, self.profile), self.profile)
        engaged = [_engagement(lead, now) for lead in leads]
        rules = fit.with_columns(
            pl.Series("engagement_score", [points for points, _ in engaged], dtype=pl.Float64)
        )
        combined = (
            pl.when(pl.col("disqualified"))
            .then(0.0)
            .otherwise(self.blend.combined(pl.col("fit_score"), pl.col("engagement_score"), None))
        )
        scores = rules.select(combined.alias("score")).to_series().to_list()
        per_lead = round((time.perf_counter() - started) * 1000 / len(leads), 3)
        total = (self.blend.fit + self.blend.engagement) or 1.0
        fit_scale = 100 / (self.profile.most_points() or 1.0) * self.blend.fit / total
        activity_scale = self.blend.engagement / total
        results = []
        for lead, score, grade, fit_reasons, (_, activity) in zip(
            leads,
            scores,
            self.grades.grades(scores),
            fit.get_column("fit_reasons").to_list(),
            engaged,
            strict=True,
        ):
            ruled_out = [r for r in fit_reasons if r.startswith("disqualified:")]
            # Every reason in points of the combined score, strongest first.
            weighed = [(text, points * fit_scale) for text, points in map(_split, fit_reasons)]
            weighed += [(text, points * activity_scale) for text, points in activity]
            ranked = sorted((w for w in weighed if abs(w[1]) >= 0.5), key=lambda w: -abs(w[1]))
            told = [f"{text} ({points:+.0f})" for text, points in ranked]
            positive = [r for r in told if "(+" in r][:3]
            negative = (ruled_out + [r for r in told if "(-" in r])[:3]
            results.append(
                LeadScore(
                    score=GRADE_POINTS[grade],
                    score_100=round(score, 1),
                    probability=None,
                    grade=grade,
                    confidence=round(_filled(lead) / len(CORE_FIELDS), 2),
                    features_used=_filled(lead),
                    reasons=Reasons(positive=positive, negative=said(positive, negative)),
                    prediction_time_ms=per_lead,
                    id=lead.id,
                )
            )
        return answer(request, request_id, now, started, RULES_VERSION, results)


def _profile_fields(leads: list[ApiLead], profile: Profile) -> pl.DataFrame:
    """The fields the profile reads, from what each lead says of itself."""
    emails = [email_facts(lead.email) for lead in leads]
    columns: dict[str, list[Any]] = {
        "seniority": [_seniority(lead) for lead in leads],
        "department": [department_of(lead.job_title) if lead.job_title else None for lead in leads],
        "employees": [lead.account_employees for lead in leads],
        "revenue": [lead.account_revenue for lead in leads],
        "industry": [lead.industry for lead in leads],
        "email_valid": [facts.valid if facts.email else None for facts in emails],
        "email_free_mail": [facts.free_mail if facts.email else None for facts in emails],
        "email_disposable": [facts.disposable if facts.email else None for facts in emails],
        "email_role": [facts.role if facts.email else None for facts in emails],
    }
    frame = pl.DataFrame(columns, schema_overrides={"employees": pl.Float64, "revenue": pl.Float64})
    missing = [name for name in profile.fields if name not in frame.columns]
    return frame.with_columns(pl.lit(None).alias(name) for name in missing)


def _seniority(lead: ApiLead) -> str | None:
    if lead.seniority_level:
        level = vendor_level(lead.seniority_level)
        if level:
            return level
    return seniority_of(lead.job_title) if lead.job_title else None


def _engagement(lead: ApiLead, now: datetime) -> tuple[float, list[tuple[str, float]]]:
    """Engagement 0-100, and what made it, in points of engagement."""
    days = days_before(lead.last_campaign_interaction, now)
    fade = 1.0 if days is None else 0.5 ** (days / HALF_LIFE_DAYS)
    parts = []
    for field, label, each, most in ACTIVITY:
        count = getattr(lead, field)
        if count:
            parts.append((f"{label} x{count}", min(count * each, most) * fade))
    if lead.email_engagement_score is not None:
        parts.append(("Email engagement", lead.email_engagement_score / 10 * fade))
    total = sum(points for _, points in parts)
    scaled = [(text, points / FULL_ENGAGEMENT * 100) for text, points in parts]
    return min(100.0, total / FULL_ENGAGEMENT * 100), scaled


def _split(reason: str) -> tuple[str, float]:
    """ "Seniority is C-level or VP (+30)" -> ("Seniority is C-level or VP", 30.0)."""
    match = _POINTS.match(reason)
    return (match.group(1), float(match.group(2))) if match else (reason, 0.0)


def _filled(lead: ApiLead) -> int:
    return sum(getattr(lead, name) is not None for name in CORE_FIELDS)
