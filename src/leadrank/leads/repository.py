"""Every query of the silver layer: lead keys, leads and companies, and what is attached to a
lead: its stored scores, its account's score and its grade overrides."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from leadrank.kit.bulk import lookup_in
from leadrank.leads.identity import Key
from leadrank.orm import (
    BronzeRecord,
    Company,
    CompanyAlias,
    Event,
    Import,
    Lead,
    LeadMerge,
    LeadReview,
)
from leadrank.orm.scoring import SERVED_STAGES, AccountScore, GradeOverride, LeadScore, ScoreRun


def find_lead_keys(session: Session, keys: Iterable[Key]) -> dict[Key, int]:
    """The lead that owns each of these keys, for the keys that exist."""
    by_type: dict[str, list[str]] = {}
    for key_type, value in set(keys):
        by_type.setdefault(key_type, []).append(value)
    found: dict[Key, int] = {}
    for key_type, values in by_type.items():
        rows = lookup_in(
            session,
            table="lead_keys",
            select=["key_value", "lead_id"],
            column="key_value",
            values=sorted(values),
            where={"key_type": key_type},
        )
        found.update(((key_type, value), lead_id) for value, lead_id in rows)
    return found


def find_company_ids(session: Session, match_keys: Iterable[str]) -> dict[str, int]:
    """Existing company ids by match key, for the keys that exist."""
    rows = lookup_in(
        session,
        table="companies",
        select=["match_key", "id"],
        column="match_key",
        values=sorted(set(match_keys)),
    )
    return dict(rows)


def find_company_aliases(session: Session, match_keys: Iterable[str]) -> dict[str, str]:
    """For the other keys of companies (names joined to them, companies folded into them):
    the match key of the company."""
    aliases = lookup_in(
        session,
        table="company_aliases",
        select=["match_key", "company_id"],
        column="match_key",
        values=sorted(set(match_keys)),
    )
    if not aliases:
        return {}
    keys = dict(
        lookup_in(
            session,
            table="companies",
            select=["id", "match_key"],
            column="id",
            values=sorted({company_id for _, company_id in aliases}),
        )
    )
    return {alias: keys[company_id] for alias, company_id in aliases}


def find_domain_companies_by_name(session: Session, name_keys: Iterable[str]) -> dict[str, str]:
    """For each name key that exactly one company with a domain carries: its match key."""
    rows = lookup_in(
        session,
        table="companies",
        select=["name_key", "match_key"],
        column="name_key",
        values=sorted(set(name_keys)),
    )
    found: dict[str, set[str]] = {}
    for name_key, match_key in rows:
        if match_key.startswith("domain:"):
            found.setdefault(name_key, set()).add(match_key)
    return {name: next(iter(keys)) for name, keys in found.items() if len(keys) == 1}


def count_rows(session: Session) -> dict[str, int]:
    """How many rows each layer holds."""

    def count(column: Any, *where: Any) -> int:
        return int(session.scalar(select(func.count(column)).where(*where)) or 0)

    return {
        "bronze_records": count(BronzeRecord.id),
        "quarantined": count(BronzeRecord.id, BronzeRecord.status == "quarantined"),
        "leads": count(Lead.id),
        "companies": count(Company.id),
        "events": count(Event.id),
    }


def scores_of_lead(
    session: Session, lead_id: int, *, limit: int
) -> tuple[list[tuple[LeadScore, ScoreRun]], int]:
    """A lead's newest `limit` served scores, newest first, and how many it has in all."""
    served = (LeadScore.lead_id == lead_id, ScoreRun.stage.in_(SERVED_STAGES))
    query = (
        select(LeadScore, ScoreRun)
        .join(ScoreRun, ScoreRun.id == LeadScore.run_id)
        .where(*served)
        .order_by(LeadScore.id.desc())
        .limit(limit)
    )
    total = session.scalar(
        select(func.count())
        .select_from(LeadScore)
        .join(ScoreRun, ScoreRun.id == LeadScore.run_id)
        .where(*served)
    )
    return [(score, run) for score, run in session.execute(query).all()], int(total or 0)


def account_of_company(session: Session, company_id: int) -> AccountScore | None:
    """A company's latest served account score."""
    query = select(AccountScore).where(AccountScore.company_id == company_id, AccountScore.latest)
    return session.scalar(query)


def current_overrides(session: Session, lead_ids: Sequence[int]) -> dict[int, GradeOverride]:
    """The grade overrides in force for these leads."""
    query = select(GradeOverride).where(
        GradeOverride.lead_id.in_(list(lead_ids)), GradeOverride.cleared_at.is_(None)
    )
    return {override.lead_id: override for override in session.scalars(query)}


def overrides_of_lead(session: Session, lead_id: int) -> list[GradeOverride]:
    """Every override a lead has had, newest first."""
    query = select(GradeOverride).where(GradeOverride.lead_id == lead_id)
    return list(session.scalars(query.order_by(GradeOverride.id.desc())))


def merges_into(session: Session, lead_id: int) -> list[LeadMerge]:
    """The merges into a lead that are in force, newest first."""
    query = select(LeadMerge).where(
        LeadMerge.kept_lead_id == lead_id, LeadMerge.undone_at.is_(None)
    )
    return list(session.scalars(query.order_by(LeadMerge.id.desc())))


def pending_reviews_of(session: Session, lead_id: int) -> list[LeadReview]:
    """The pairs waiting for a decision that include a lead, likeliest first."""
    query = select(LeadReview).where(
        LeadReview.status == "pending",
        or_(LeadReview.lead_a == lead_id, LeadReview.lead_b == lead_id),
    )
    return list(session.scalars(query.order_by(LeadReview.match_score.desc(), LeadReview.id)))


def _pending_with_both_leads() -> Any:
    """Pending reviews whose two leads are both still there (not merged away)."""
    first, second = Lead.__table__.alias("first_lead"), Lead.__table__.alias("second_lead")
    return (
        select(LeadReview)
        .join(first, first.c.id == LeadReview.lead_a)
        .join(second, second.c.id == LeadReview.lead_b)
        .where(LeadReview.status == "pending")
    )


def count_pending_reviews(session: Session) -> int:
    """How many pairs wait for a decision, both leads still there."""
    query = select(func.count()).select_from(_pending_with_both_leads().subquery())
    return int(session.scalar(query) or 0)


def pending_review_at(session: Session, position: int) -> LeadReview | None:
    """The pending review at `position` (from 0) of the queue, likeliest first."""
    query = _pending_with_both_leads().order_by(LeadReview.match_score.desc(), LeadReview.id)
    found: LeadReview | None = session.scalar(query.offset(position).limit(1))
    return found


def lead_ids_of_company(session: Session, company_id: int, *, limit: int) -> list[int]:
    """The ids of up to `limit` of a company's leads, oldest first."""
    query = select(Lead.id).where(Lead.company_id == company_id).order_by(Lead.id).limit(limit)
    return list(session.scalars(query))


def count_leads_of_company(session: Session, company_id: int) -> int:
    """How many leads a company has."""
    query = select(func.count()).select_from(Lead).where(Lead.company_id == company_id)
    return int(session.scalar(query) or 0)


def imports_with_ids(session: Session, import_ids: Sequence[int]) -> list[Import]:
    """The imports of these ids (an id of no import is left out)."""
    return list(session.scalars(select(Import).where(Import.id.in_(import_ids))))


def company_folded_into(session: Session, company_id: int) -> int | None:
    """The company a company folded into another became, if it was folded."""
    query = select(CompanyAlias.company_id).where(CompanyAlias.folded_id == company_id)
    found: int | None = session.scalar(query.limit(1))
    return found
