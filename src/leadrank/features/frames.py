"""The frames training and scoring both start from: a table file's columns as text, and the
workspace's leads (with their company's firmographics and their real creation date) and events.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from leadrank.kit.bulk import select_all
from leadrank.kit.raw_tables import EXTRA_FIELDS_COLUMN
from leadrank.kit.readers import read_table
from leadrank.orm import Company, Event, Lead

LEAD_FIELDS = (
    "id",
    "company_id",
    "created_at",
    "source_created_at",
    "seniority",
    "department",
    "job_title",
    "email_valid",
    "email_free_mail",
    "email_disposable",
    "email_role",
    "phone_e164",
    "country_code",
    "lead_source",
    "lead_status",
    "quality_score",
    "attributes",
)
COMPANY_FIELDS = ("id", "industry", "employees", "revenue")


def lead_frame(session: Session) -> pl.DataFrame:
    """Every lead with the firmographics of its company (lead_id first)."""
    leads = select_all(session, Lead, LEAD_FIELDS).rename({"id": "lead_id"})
    companies = select_all(session, Company, COMPANY_FIELDS).rename({"id": "company_id"})
    return leads.join(companies, on="company_id", how="left").drop("company_id")


def event_frame(session: Session) -> pl.DataFrame:
    """Every event: lead_id, event_type, occurred_at."""
    events = select_all(session, Event, ("lead_id", "event_type", "occurred_at"))
    return events.sort("lead_id", "occurred_at")


def read_frame(path: Path) -> pl.DataFrame:
    """A table's columns as text, whatever its format."""
    return read_table(path).frame.drop(EXTRA_FIELDS_COLUMN, strict=False)


def workspace_frames(session: Session) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every lead (anchored, see `with_anchor`) and every event: what training and scoring
    both start from."""
    events = event_frame(session)
    return with_anchor(lead_frame(session), events), events


def with_anchor(leads: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Leads with `created_at` as the lead's real creation: the date its source gave, else its
    first event, else when it reached the workspace."""
    first = events.group_by("lead_id").agg(pl.col("occurred_at").min().alias("_first"))
    return (
        leads.join(first, on="lead_id", how="left")
        .with_columns(pl.coalesce("source_created_at", "_first", "created_at").alias("created_at"))
        .drop("_first")
    )
