"""Browsing leads for the API: filters on grade, score, source, dates and words, ordered by
score or by arrival, a page at a time with an opaque cursor (stable while leads are added)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.orm import BronzeRecord, Lead
from leadrank.orm.scoring import GradeOverride, LeadScore, ScoreRun

Sort = Literal["score", "created"]
MAX_PAGE = 500


@dataclass(frozen=True)
class LeadFilters:
    """What a list asks for; every filter is optional."""

    grade: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    source: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None


@dataclass(frozen=True)
class LeadRow:
    """A lead with its latest served score and the grade a person gave it, if any."""

    lead: Lead
    score: float | None
    computed_grade: str | None
    probability: float | None
    override_grade: str | None

    @property
    def grade(self) -> str | None:
        """The grade served: a person's when there is one."""
        return self.override_grade or self.computed_grade


def browse_leads(
    session: Session,
    *,
    filters: LeadFilters,
    sort: Sort = "score",
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[LeadRow], str | None]:
    """One page of leads and the cursor of the next page (None on the last)."""
    if not 1 <= limit <= MAX_PAGE:
        raise BadInput(f"limit must be between 1 and {MAX_PAGE}")
    run_id = session.scalar(
        select(ScoreRun.id)
        .where(ScoreRun.finished_at.is_not(None), ScoreRun.stage.in_(("active", "rules")))
        .order_by(ScoreRun.id.desc())
        .limit(1)
    )
    scores = (
        select(LeadScore.lead_id, LeadScore.score, LeadScore.grade, LeadScore.probability)
        .where(LeadScore.run_id == (run_id or -1))
        .subquery()
    )
    overrides = (
        select(GradeOverride.lead_id, GradeOverride.grade)
        .where(GradeOverride.cleared_at.is_(None))
        .subquery()
    )
    grade = func.coalesce(overrides.c.grade, scores.c.grade)
    ranked = func.coalesce(scores.c.score, -1.0)
    statement = (
        select(Lead, scores.c.score, scores.c.grade, scores.c.probability, overrides.c.grade)
        .outerjoin(scores, scores.c.lead_id == Lead.id)
        .outerjoin(overrides, overrides.c.lead_id == Lead.id)
        .where(*_conditions(filters, grade, scores.c.score))
    )
    position = _decode(cursor, sort) if cursor else None
    if sort == "score":
        if position is not None:
            last_score, last_id = position
            statement = statement.where(
                or_(ranked < last_score, and_(ranked == last_score, Lead.id > last_id))
            )
        statement = statement.order_by(ranked.desc(), Lead.id)
    else:
        if position is not None:
            statement = statement.where(Lead.id < position[1])
        statement = statement.order_by(Lead.id.desc())
    found = session.execute(statement.limit(limit + 1)).all()
    rows = [LeadRow(*row) for row in found[:limit]]
    more = len(found) > limit and rows
    next_cursor = _encode(rows[-1], sort) if more else None
    return rows, next_cursor


def _conditions(filters: LeadFilters, grade: Any, score: Any) -> list[Any]:
    conditions: list[Any] = []
    if filters.grade:
        conditions.append(grade == filters.grade.upper())
    if filters.min_score is not None:
        conditions.append(score >= filters.min_score)
    if filters.max_score is not None:
        conditions.append(score <= filters.max_score)
    if filters.source:
        conditions.append(
            Lead.id.in_(
                select(BronzeRecord.lead_id).where(BronzeRecord.source == filters.source.lower())
            )
        )
    if filters.created_after is not None:
        conditions.append(Lead.created_at >= filters.created_after)
    if filters.created_before is not None:
        conditions.append(Lead.created_at < filters.created_before)
    if filters.search:
        pattern = f"%{filters.search.lower()}%"
        conditions.append(
            or_(
                func.lower(Lead.full_name).like(pattern),
                Lead.email.like(pattern),
                func.lower(Lead.company_name).like(pattern),
                func.lower(Lead.job_title).like(pattern),
            )
        )
    return conditions


def _encode(row: LeadRow, sort: Sort) -> str:
    place = {"sort": sort, "score": row.score if row.score is not None else -1.0, "id": row.lead.id}
    return base64.urlsafe_b64encode(json.dumps(place).encode()).decode().rstrip("=")


def _decode(cursor: str, sort: Sort) -> tuple[float, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        place = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if place["sort"] != sort:
            raise ValueError("a cursor of another order")
        return float(place["score"]), int(place["id"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise BadInput("this cursor is not one a page of this list gave; start again") from exc
