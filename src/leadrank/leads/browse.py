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
from leadrank.leads.browse_order import (
    INDEXED,
    Place,
    count_selected,
    indexed_page,
    lead_conditions,
    needs_scores,
    score_conditions,
)
from leadrank.orm import Event, Lead
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
    "reason",
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
    place = _decode(cursor, sort) if cursor else None
    listing = _Listing(session, sort)
    if sort in INDEXED:
        start = Place(*place) if place else None
        pairs = indexed_page(
            session, sort=sort, filters=filters, like=_pattern, place=start, size=limit + 1
        )
    else:
        pairs = listing.page(filters, place, limit + 1)
    ids = [lead_id for lead_id, _ in pairs[:limit]]
    found = {row[0].id: row for row in session.execute(_rows_of(ids)).all()}
    rows = [LeadRow(*found[i]) for i in ids if i in found]
    more = len(pairs) > limit
    next_cursor = _encode(sort, pairs[limit - 1][1], pairs[limit - 1][0]) if more else None
    return rows, next_cursor


def _rows_of(ids: list[int]) -> Select[Any]:
    """Whole rows of these leads with their served score, its run and a person's grade: each
    found by its key, so a page reads its own rows only."""
    served = and_(LeadScore.lead_id == Lead.id, LeadScore.latest)
    person = and_(GradeOverride.lead_id == Lead.id, GradeOverride.cleared_at.is_(None))
    return (
        select(
            Lead,
            LeadScore.score,
            LeadScore.grade,
            LeadScore.probability,
            GradeOverride.grade,
            LeadScore.fit,
            LeadScore.engagement,
            LeadScore.reasons,
            ScoreRun.model_version,
            ScoreRun.as_of,
        )
        .outerjoin(LeadScore, served)
        .outerjoin(ScoreRun, ScoreRun.id == LeadScore.run_id)
        .outerjoin(GradeOverride, person)
        .where(Lead.id.in_(ids))
    )


def count_leads(session: Session, *, filters: LeadFilters, at_most: int | None = None) -> int:
    """How many leads the filters select (what a page of them is a page of); with
    `at_most`, counting stops past it (the answer is then `at_most` + 1)."""
    return count_selected(session, filters=filters, like=_pattern, at_most=at_most)


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
        # Joined by key, lead by lead: a subquery of every served score would be read whole.
        self.scores = LeadScore.__table__
        self.overrides = GradeOverride.__table__
        self.session = session
        self.sort = sort
        self.key = _sort_key(sort, self.scores, self.overrides)

    def joined(self, statement: Select[Any]) -> Select[Any]:
        """`statement` with each lead's served score (each lead has at most one) and the
        grade a person gave it, if any."""
        s, o = self.scores.c, self.overrides.c
        return statement.outerjoin(self.scores, and_(s.lead_id == Lead.id, s.latest)).outerjoin(
            self.overrides, and_(o.lead_id == Lead.id, o.cleared_at.is_(None))
        )

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
            ScoreRun.model_version,
            ScoreRun.as_of,
        )
        statement = self.joined(select(*leads, *columns, self.key.label("sort_key")))
        return statement.outerjoin(ScoreRun, ScoreRun.id == s.run_id)

    def conditions(self, filters: LeadFilters) -> list[Any]:
        """The WHERE clauses of `filters`."""
        grade = func.coalesce(self.overrides.c.grade, self.scores.c.grade)
        return [
            *lead_conditions(filters, _pattern),
            *score_conditions(filters, self.scores.c.score, grade),
        ]

    def page(self, filters: LeadFilters, place: tuple[Any, int] | None, size: int) -> list[Any]:
        """Up to `size` (id, sort key) pairs of the selection after `place`: the scores are
        joined only when the order or a filter looks at them."""
        key = self.key.label("sort_key")  # ordered by name: an event subquery runs once a row
        if self.sort in _LEAD_ONLY_SORTS and not needs_scores(filters):
            statement = select(Lead.id, key).where(*lead_conditions(filters, _pattern))
        else:
            statement = self.joined(select(Lead.id, key)).where(*self.conditions(filters))
            if filters.min_score is not None or filters.max_score is not None:
                # Only scored leads pass a score range: say so, for the partial index. (A
                # grade filter also passes a lead a person graded before any run scored it.)
                statement = statement.where(self.scores.c.latest)
        if place is not None:
            statement = statement.where(self.after(place))
        found = self.session.execute(self.ordered(statement, key).limit(size)).all()
        return [(int(lead_id), value) for lead_id, value in found]

    def ordered(self, statement: Select[Any], key: Any = None) -> Select[Any]:
        """The statement in this sort's order (by `key`, the sort key's label, when the
        statement selects it); ties go by lead id."""
        key = self.key if key is None else key
        if self.sort == "created":
            return statement.order_by(Lead.id.desc())
        if self.sort in _ASCENDING:
            return statement.order_by(key, Lead.id)
        return statement.order_by(key.desc(), Lead.id)

    def after(self, place: tuple[Any, int]) -> ColumnElement[bool]:
        """The rows that come after the row at `place` (its sort key and id)."""
        value, lead_id = place
        if self.sort == "created":
            return Lead.id < lead_id
        beyond = self.key > value if self.sort in _ASCENDING else self.key < value
        return or_(beyond, and_(self.key == value, Lead.id > lead_id))


_ASCENDING = frozenset({"name", "grade", "company", "title", "owner", "reason"})
# Orders that read the lead's own fields (and its events) only.
_LEAD_ONLY_SORTS = frozenset(
    {"quality", "created", "updated", "activity", "name", "company", "title", "owner"}
)
_TEXT_SORTS = frozenset({"name", "grade", "company", "title", "owner", "reason"})


def _pattern(text: str) -> str:
    """A LIKE pattern for the words as written, any case: "%" and "_" match themselves."""
    return f"%{_literal(text.strip().lower())}%"


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
        "reason": func.coalesce(scores.c.reason_key, "1"),  # written with each score
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
