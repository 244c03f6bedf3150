"""Which leads make up one page of the worklist, and in what order: a narrow query of ids and
sort keys only, so a workspace of 100,000 leads answers a page in milliseconds. The whole rows
of those ids are read afterwards (`browse.browse_leads`).

The score, probability and top-reason orders walk a partial index of the served scores
(`latest`) from their start and stop when the page is full; the leads with no such value (not
scored yet, no model for a probability, no reason) follow, in id order, as the list's tail.
Other orders sort the selection's ids and keys in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from leadrank.kit.text_match import like_any_case
from leadrank.orm import BronzeRecord, Lead
from leadrank.orm.scoring import GradeOverride, LeadScore

NO_VALUE = -1.0  # the key of a lead with no value in a numeric order: after every real one
NO_REASON = "1"  # the key of a lead with no reason: after every reason ("0" + its text)


@dataclass(frozen=True)
class IndexedOrder:
    """An order walked along a partial index of the served scores."""

    column: Any
    descending: bool
    no_value: Any  # the key of the leads in the tail (no value), in id order

    def valued(self) -> ColumnElement[bool]:
        """The scores that have a value in this order."""
        present: ColumnElement[bool] = self.column.is_not(None)
        return present if self.descending else and_(present, self.column != self.no_value)

    def without(self, column: Any) -> ColumnElement[bool]:
        """`column` (this order's, in a subquery) holds no value."""
        absent: ColumnElement[bool] = column.is_(None)
        return absent if self.descending else or_(absent, column == self.no_value)


INDEXED = {
    "score": IndexedOrder(LeadScore.score, True, NO_VALUE),
    "probability": IndexedOrder(LeadScore.probability, True, NO_VALUE),
    "reason": IndexedOrder(LeadScore.reason_key, False, NO_REASON),
}


@dataclass(frozen=True)
class Place:
    """Where a page starts: after the row with this sort key and id."""

    key: Any
    lead_id: int


def needs_scores(filters: Any) -> bool:
    """Whether the filters look at served scores or grades (else leads alone answer them)."""
    return bool(filters.grades) or filters.min_score is not None or filters.max_score is not None


def lead_conditions(filters: Any, like: Any) -> list[ColumnElement[bool]]:
    """The filters on the lead's own fields (`like`: a pattern maker for LIKE words)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.ids:
        conditions.append(Lead.id.in_(filters.ids))
    if filters.source:
        sources = select(BronzeRecord.lead_id).where(BronzeRecord.source == filters.source.lower())
        conditions.append(Lead.id.in_(sources))
    if filters.country:
        conditions.append(Lead.country_code == filters.country.upper())
    if filters.seniority:
        conditions.append(Lead.seniority == filters.seniority.lower())
    if filters.owner:
        conditions.append(func.lower(Lead.owner) == filters.owner.strip().lower())
    if filters.company:
        conditions.append(like_any_case(Lead.company_name, like(filters.company)))
    if filters.created_after is not None:
        conditions.append(Lead.created_at >= filters.created_after)
    if filters.created_before is not None:
        conditions.append(Lead.created_at < filters.created_before)
    if filters.search:
        pattern = like(filters.search)
        conditions.append(
            or_(
                like_any_case(Lead.full_name, pattern),
                Lead.email.like(pattern, escape="\\"),
                like_any_case(Lead.company_name, pattern),
                like_any_case(Lead.job_title, pattern),
            )
        )
    return conditions


def score_conditions(filters: Any, score: Any, grade: Any) -> list[ColumnElement[bool]]:
    """The filters on the served score and grade (`grade`: a person's, else the computed)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.grades:
        conditions.append(grade.in_([g.upper() for g in filters.grades]))
    if filters.min_score is not None:
        conditions.append(score >= filters.min_score)
    if filters.max_score is not None:
        conditions.append(score <= filters.max_score)
    return conditions


def indexed_page(
    session: Session,
    *,
    sort: str,
    filters: Any,
    like: Any,
    place: Place | None,
    size: int,
) -> list[tuple[int, Any]]:
    """Up to `size` (lead id, key) pairs in an indexed order (score, probability, top
    reason) after `place`."""
    order = INDEXED[sort]
    found: list[tuple[int, Any]] = []
    if place is None or place.key != order.no_value:
        found = _valued(session, sort=sort, filters=filters, like=like, place=place, size=size)
    if len(found) < size:
        after = place.lead_id if place is not None and place.key == order.no_value else None
        found += _without_value(
            session, sort=sort, filters=filters, like=like, after=after, size=size - len(found)
        )
    return found


def _valued(
    session: Session, *, sort: str, filters: Any, like: Any, place: Place | None, size: int
) -> list[tuple[int, Any]]:
    """The leads with a value, in the order's direction, walking the partial index of
    served scores."""
    order = INDEXED[sort]
    value = order.column
    statement = select(LeadScore.lead_id, value).where(LeadScore.latest, order.valued())
    own = lead_conditions(filters, like)
    if own:
        statement = statement.join(Lead, Lead.id == LeadScore.lead_id).where(*own)
    if filters.grades:
        person = _overrides()
        statement = statement.outerjoin(person, person.c.lead_id == LeadScore.lead_id)
        grade: Any = func.coalesce(person.c.grade, LeadScore.grade)
    else:
        grade = LeadScore.grade
    statement = statement.where(*score_conditions(filters, LeadScore.score, grade))
    if place is not None:
        beyond = value < place.key if order.descending else value > place.key
        statement = statement.where(
            or_(beyond, and_(value == place.key, LeadScore.lead_id > place.lead_id))
        )
    first = value.desc() if order.descending else value
    rows = session.execute(statement.order_by(first, LeadScore.lead_id).limit(size))
    if order.descending:
        return [(int(lead_id), float(key or 0.0)) for lead_id, key in rows]
    return [(int(lead_id), str(key)) for lead_id, key in rows]


def _without_value(
    session: Session, *, sort: str, filters: Any, like: Any, after: int | None, size: int
) -> list[tuple[int, Any]]:
    """The tail: leads with no served value in this order, in id order."""
    order = INDEXED[sort]
    served = (
        select(LeadScore.lead_id, LeadScore.score, LeadScore.grade, order.column.label("value"))
        .where(LeadScore.latest)
        .subquery()
    )
    person = _overrides()
    statement = (
        select(Lead.id)
        .outerjoin(served, served.c.lead_id == Lead.id)
        .outerjoin(person, person.c.lead_id == Lead.id)
        .where(order.without(served.c.value), *lead_conditions(filters, like))
        .where(
            *score_conditions(
                filters, served.c.score, func.coalesce(person.c.grade, served.c.grade)
            )
        )
    )
    if after is not None:
        statement = statement.where(Lead.id > after)
    rows = session.scalars(statement.order_by(Lead.id).limit(size))
    return [(int(lead_id), order.no_value) for lead_id in rows]


def _overrides() -> Any:
    """The grades people gave, in force."""
    return (
        select(GradeOverride.lead_id, GradeOverride.grade)
        .where(GradeOverride.cleared_at.is_(None))
        .subquery()
    )


def count_selected(session: Session, *, filters: Any, like: Any, at_most: int | None = None) -> int:
    """How many leads the filters select (`at_most` + 1 at most, so a page can say "more
    than" without counting a large selection through): from the leads alone when no filter
    looks at scores, else from the served scores (each lead has at most one) and the leads
    a person graded without a score."""
    own = lead_conditions(filters, like)
    if not needs_scores(filters):
        return _count(session, select(Lead.id).where(*own), at_most)
    person = _overrides()
    statement = select(LeadScore.lead_id).where(LeadScore.latest)
    if own:
        statement = statement.join(Lead, Lead.id == LeadScore.lead_id).where(*own)
    if filters.grades:
        statement = statement.outerjoin(person, person.c.lead_id == LeadScore.lead_id)
        grade: Any = func.coalesce(person.c.grade, LeadScore.grade)
    else:
        grade = LeadScore.grade
    scored = _count(
        session, statement.where(*score_conditions(filters, LeadScore.score, grade)), at_most
    )
    if not filters.grades or filters.min_score is not None or filters.max_score is not None:
        return scored
    # A grade a person gave a lead no run has scored yet still selects it.
    unscored = (
        select(Lead.id)
        .join(person, person.c.lead_id == Lead.id)
        .where(
            ~Lead.id.in_(select(LeadScore.lead_id).where(LeadScore.latest)),
            person.c.grade.in_([g.upper() for g in filters.grades]),
            *own,
        )
    )
    total = scored + _count(session, unscored, at_most)
    return total if at_most is None else min(total, at_most + 1)


def _count(session: Session, ids: Any, at_most: int | None) -> int:
    if at_most is not None:
        ids = ids.limit(at_most + 1)
    return int(session.scalar(select(func.count()).select_from(ids.subquery())) or 0)
