"""A lead's quality score and issues brought up to date with what it now holds, after
something other than an import filled its fields (enrichment)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.kit.bulk import bulk_update
from leadrank.leads.clean import quality_score_expr
from leadrank.leads.upsert_existing import reconciled_issues
from leadrank.orm import Company, Lead

# What the quality score and the issues read from the lead (and from its company).
_LEAD_FIELDS = (
    "id",
    "email",
    "email_valid",
    "email_free_mail",
    "email_disposable",
    "email_role",
    "full_name",
    "company_name",
    "company_domain",
    "job_title",
    "phone_e164",
    "linkedin_url",
    "country_code",
    "quality_score",
    "issues",
)


_FLAGS = ("email_valid", "email_free_mail", "email_disposable", "email_role")
_TEXT = tuple(n for n in _LEAD_FIELDS if n not in (*_FLAGS, "id", "quality_score", "issues"))
_TEXT += ("industry",)


def refresh_quality(session: Session, *, lead_ids: Sequence[int]) -> int:
    """Recompute these leads' quality (never below what it was) and drop the issues their
    fields now settle ("title_missing" once a title is filled); how many leads changed."""
    if not lead_ids:
        return 0
    columns = [getattr(Lead, name) for name in _LEAD_FIELDS]
    rows = session.execute(
        select(*columns, Company.employees, Company.industry)
        .outerjoin(Company, Company.id == Lead.company_id)
        .where(Lead.id.in_(list(lead_ids)))
        .order_by(Lead.id)
    ).all()
    if not rows:
        return 0
    names = [*_LEAD_FIELDS, "employees", "industry"]
    records = [dict(zip(names, row, strict=True)) for row in rows]
    frame = pl.DataFrame(
        [{k: v for k, v in record.items() if k != "issues"} for record in records],
        schema_overrides={
            **dict.fromkeys(_TEXT, pl.String),
            **dict.fromkeys(_FLAGS, pl.Boolean),
            "employees": pl.Int64,
            "quality_score": pl.Float64,
        },
    )
    quality = frame.select(
        pl.max_horizontal(pl.col("quality_score").fill_null(0.0), quality_score_expr())
    ).to_series()
    issues = [reconciled_issues(list(record["issues"] or []), record) for record in records]
    changed = [
        {"id": record["id"], "quality_score": score, "issues": json.dumps(found)}
        for record, score, found in zip(records, quality.to_list(), issues, strict=True)
        if score != record["quality_score"] or found != list(record["issues"] or [])
    ]
    if changed:
        bulk_update(session, Lead, pl.DataFrame(changed))
    return len(changed)
