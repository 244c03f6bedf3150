"""The worklist: leads with their latest served score, filtered on grade, score, source,
country, seniority, owner, dates and words, in one of several orders, a page at a time with an opaque
cursor (stable while leads are added) or whole for an export. The API, `leadrank leads list`
and `leadrank leads export` all read it here."""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.orm import BronzeRecord, Event, Lead
from leadrank.orm.base import LARGEST_ID, UtcDateTime
from leadrank.orm.scoring import SERVED_STAGES, GradeOverride, LeadScore, ScoreRun

Sort = Literal[
    "score",
    "fit",
    "engagement",
    "quality",
    "created",
    "updated",
    "name",
    "grade",
    "probability",
    "company",
    "title",
    "owner",
    "activity",
]
SORTS: tuple[str, ...] = get_args(Sort)
GRADES = "ABCDE"
MAX_PAGE = 500


@dataclass(frozen=True)
class LeadFilters:
    """What a list asks for; every filter is optional."""

    grades: tuple[str, ...] = ()  # the grade served (a person's, else the computed one)
    min_score: float | None = None
    max_score: float | None = None
    source: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None
    country: str | None = None
    seniority: str | None = None
    owner: str | None = None  # who works the lead, any case
    company: str | None = None  # words in the company's name, any case
    ids: tuple[int, ...] = ()  # these leads only (rows picked in a list)


@dataclass(frozen=True)
class LeadRow:
    """A lead with its latest served score and the grade a person gave it, if any."""

    lead: Lead
    score: float | None
    computed_grade: str | None
    probability: float | None
    override_grade: str | None
    fit: float | None
    engagement: float | None
    reasons: dict[str, list[str]] | None
    model_version: str | None  # the run the score comes from: "converted:v3" or "rules"
    scored_at: datetime | None

    @property
    def grade(self) -> str | None:
        """The grade served: a person's when there is one."""
        return self.override_grade or self.computed_grade

    @property
    def top_reason(self) -> str | None:
        """The reason that counts most: the first for the score, else the first against it."""
        reasons = self.reasons or {}
        first = [*reasons.get("positive", []), *reasons.get("negative", [])]
        return first[0] if first else None


def parse_grades(text: str | None) -> tuple[str, ...]:
    """ "A,B" (any case, spaces allowed) as ("A", "B"); BadInput for anything but A-E."""
    if not text:
        return ()
    grades = tuple(dict.fromkeys(g.strip().upper() for g in text.split(",") if g.strip()))
    wrong = [g for g in grades if len(g) != 1 or g not in GRADES]
    if wrong or not grades:
        raise BadInput(f"grades {text!r}: name grades A to E, e.g. A,B")
    return grades


def served_run_id(session: Session) -> int | None:
    """The newest finished run whose scores are served (the active model's, or the rules')."""
    return session.scalar(
        select(ScoreRun.id)
        .where(ScoreRun.finished_at.is_not(None), ScoreRun.stage.in_(SERVED_STAGES))
        .order_by(ScoreRun.id.desc())
        .limit(1)
    )


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
    if sort not in SORTS:
        raise BadInput(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    listing = _Listing(session, sort)
    statement = listing.select(Lead).where(*listing.conditions(filters))
    if cursor:
        statement = statement.where(listing.after(_decode(cursor, sort)))
    found = session.execute(listing.ordered(statement).limit(limit + 1)).all()
    rows = [LeadRow(*row[:-1]) for row in found[:limit]]
    more = len(found) > limit
    next_cursor = _encode(sort, found[limit - 1][-1], rows[-1].lead.id) if more else None
    return rows, next_cursor


def count_leads(session: Session, *, filters: LeadFilters) -> int:
    """How many leads the filters select (what a page of them is a page of)."""
    listing = _Listing(session, "created")
    statement = listing.select(Lead.id).where(*listing.conditions(filters))
    return int(session.scalar(select(func.count()).select_from(statement.subquery())) or 0)


def last_activity(session: Session, lead_ids: list[int]) -> dict[int, datetime]:
    """The moment of each lead's newest event, for the leads that have one."""
    if not lead_ids:
        return {}
    found = session.execute(
        select(Event.lead_id, func.max(Event.occurred_at))
        .where(Event.lead_id.in_(lead_ids))
        .group_by(Event.lead_id)
    ).all()
    return {int(lead_id): moment for lead_id, moment in found}


def export_rows(
    session: Session, *, filters: LeadFilters, sort: Sort = "score"
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every lead of the selection in the list's order, as plain columns: every silver field,
    then fit, engagement, probability, score, the grade served, the computed grade, a
    person's grade, the reasons, the model version and when it was scored."""
    if sort not in SORTS:
        raise BadInput(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    listing = _Listing(session, sort)
    fields = [c for c in Lead.__table__.columns if c.name not in _INTERNAL_FIELDS]
    statement = listing.select(*fields).where(*listing.conditions(filters))
    found = session.execute(listing.ordered(statement)).all()
    names = [c.name for c in fields] + list(SCORE_COLUMNS)
    return names, [tuple(row[:-1]) for row in found]


# Kept out of exports: how leadrank matches and merges, not facts about the lead.
_INTERNAL_FIELDS = frozenset({"match_block", "provenance", "enrichment"})
# What follows the lead's own fields in a listing row, in LeadRow's order.
SCORE_COLUMNS = (
    "score",
    "computed_grade",
    "probability",
    "override_grade",
    "fit",
    "engagement",
    "reasons",
    "model_version",
    "scored_at",
)


class _Listing:
    """The served scores and overrides joined to leads, and the order of one sort."""

    def __init__(self, session: Session, sort: Sort) -> None:
        # Each lead's latest served score: runs of the changed leads alone hold some leads.
        self.scores = (
            select(
                LeadScore.lead_id,
                LeadScore.score,
                LeadScore.grade,
                LeadScore.probability,
                LeadScore.fit,
                LeadScore.engagement,
                LeadScore.reasons,
                ScoreRun.model_version,
                ScoreRun.as_of,
            )
            .join(ScoreRun, ScoreRun.id == LeadScore.run_id)
            .where(LeadScore.latest)
            .subquery()
        )
        self.overrides = (
            select(GradeOverride.lead_id, GradeOverride.grade)
            .where(GradeOverride.cleared_at.is_(None))
            .subquery()
        )
        self.sort = sort
        self.key = _sort_key(sort, self.scores, self.overrides)

    def select(self, *leads: Any) -> Select[Any]:
        """Leads (the ORM class or its columns) with their score columns and the sort key."""
        s = self.scores.c
        columns = (
            s.score,
            s.grade,
            s.probability,
            self.overrides.c.grade,
            s.fit,
            s.engagement,
            s.reasons,
            s.model_version,
            s.as_of,
        )
        return (
            select(*leads, *columns, self.key.label("sort_key"))
            .outerjoin(self.scores, s.lead_id == Lead.id)
            .outerjoin(self.overrides, self.overrides.c.lead_id == Lead.id)
        )

    def conditions(self, filters: LeadFilters) -> list[Any]:
        """The WHERE clauses of `filters`."""
        grade = func.coalesce(self.overrides.c.grade, self.scores.c.grade)
        score = self.scores.c.score
        conditions: list[Any] = []
        if filters.grades:
            conditions.append(grade.in_([g.upper() for g in filters.grades]))
        if filters.min_score is not None:
            conditions.append(score >= filters.min_score)
        if filters.max_score is not None:
            conditions.append(score <= filters.max_score)
        if filters.source:
            conditions.append(
                Lead.id.in_(
                    select(BronzeRecord.lead_id).where(
                        BronzeRecord.source == filters.source.lower()
                    )
                )
            )
        if filters.country:
            conditions.append(Lead.country_code == filters.country.upper())
        if filters.seniority:
            conditions.append(Lead.seniority == filters.seniority.lower())
        if filters.owner:
            conditions.append(func.lower(Lead.owner) == filters.owner.strip().lower())
        if filters.ids:
            conditions.append(Lead.id.in_(filters.ids))
        if filters.company:
            pattern = f"%{_literal(filters.company.strip().lower())}%"
            conditions.append(func.lower(Lead.company_name).like(pattern, escape="\\"))
        if filters.created_after is not None:
            conditions.append(Lead.created_at >= filters.created_after)
        if filters.created_before is not None:
            conditions.append(Lead.created_at < filters.created_before)
        if filters.search:
            # The words as written: "%" and "_" match themselves, not anything.
            pattern = f"%{_literal(filters.search.lower())}%"
            conditions.append(
                or_(
                    func.lower(Lead.full_name).like(pattern, escape="\\"),
                    Lead.email.like(pattern, escape="\\"),
                    func.lower(Lead.company_name).like(pattern, escape="\\"),
                    func.lower(Lead.job_title).like(pattern, escape="\\"),
                )
            )
        return conditions

    def ordered(self, statement: Select[Any]) -> Select[Any]:
        """The statement in this sort's order; ties go by lead id."""
        if self.sort == "created":
            return statement.order_by(Lead.id.desc())
        if self.sort in _ASCENDING:
            return statement.order_by(self.key, Lead.id)
        return statement.order_by(self.key.desc(), Lead.id)

    def after(self, place: tuple[Any, int]) -> ColumnElement[bool]:
        """The rows that come after the row at `place` (its sort key and id)."""
        value, lead_id = place
        if self.sort == "created":
            return Lead.id < lead_id
        beyond = self.key > value if self.sort in _ASCENDING else self.key < value
        return or_(beyond, and_(self.key == value, Lead.id > lead_id))


_ASCENDING = frozenset({"name", "grade", "company", "title", "owner"})
_TEXT_SORTS = frozenset({"name", "grade", "company", "title", "owner"})


def _literal(text: str) -> str:
    """Text for a LIKE pattern that matches only itself (escaped with a backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sort_key(sort: Sort, scores: Any, overrides: Any) -> ColumnElement[Any]:
    """What a sort orders by; a lead with no value comes last in every order."""
    keys: dict[str, Any] = {
        "score": func.coalesce(scores.c.score, -1.0),
        "fit": func.coalesce(scores.c.fit, -1.0),
        "engagement": func.coalesce(scores.c.engagement, -1.0),
        "probability": func.coalesce(scores.c.probability, -1.0),
        "quality": func.coalesce(Lead.quality_score, -1.0),
        "created": Lead.id,
        "updated": Lead.updated_at,
        "activity": func.coalesce(
            select(func.max(Event.occurred_at))
            .where(Event.lead_id == Lead.id)
            .correlate(Lead)
            .scalar_subquery(),
            type_coerce(_NO_ACTIVITY, UtcDateTime),
        ),
        "grade": _present_first(func.coalesce(overrides.c.grade, scores.c.grade)),
        "name": _present_first(Lead.full_name),
        "company": _present_first(Lead.company_name),
        "title": _present_first(Lead.job_title),
        "owner": _present_first(Lead.owner),
    }
    key: ColumnElement[Any] = keys[sort]
    return key


_NO_ACTIVITY = datetime(1970, 1, 1, tzinfo=UTC)


def _present_first(column: Any) -> ColumnElement[str]:
    """Text in alphabetical order, any case, with the leads that have none after the rest:
    "0" + the text, or "1" when there is none (digits sort alike in every collation)."""
    text = func.coalesce(func.lower(column), "")
    return case((text == "", literal("1")), else_=literal("0") + text)


def _encode(sort: Sort, key: Any, lead_id: int) -> str:
    value = key.isoformat() if isinstance(key, datetime) else key
    place = {"sort": sort, "key": value, "id": lead_id}
    return base64.urlsafe_b64encode(json.dumps(place).encode()).decode().rstrip("=")


def _decode(cursor: str, sort: Sort) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        place = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if place["sort"] != sort:
            raise ValueError("a cursor of another order")
        key = place["key"]
        if sort in ("updated", "activity"):
            key = datetime.fromisoformat(key)
        elif sort in _TEXT_SORTS:
            key = str(key)
        else:
            key = float(key)
            if not math.isfinite(key):
                raise ValueError("a key that is no number")
        lead_id = place["id"]
        if not isinstance(lead_id, int) or not 0 <= lead_id <= LARGEST_ID:
            raise ValueError("an id no lead can have")
        return key, lead_id
    except (ValueError, KeyError, TypeError, OverflowError, binascii.Error) as exc:
        raise BadInput("this cursor is not one a page of this list gave; start again") from exc
