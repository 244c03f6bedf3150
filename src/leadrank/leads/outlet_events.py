"""What the outbox says about leads: who each lead is (a card: name, email, title, company,
owner), what it is served now (grade, with an override in force, and its score), and the
events of a grade override, a merge and a new owner."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.kit.sql import batched
from leadrank.leads.repository import current_overrides
from leadrank.orm import Company, Lead
from leadrank.orm.scoring import GradeOverride, LeadScore
from leadrank.outbox.emit import emit, wanted
from leadrank.outbox.events import (
    LEAD_GRADE_CHANGED,
    LEAD_MERGED,
    LEAD_OWNER_CHANGED,
    OutletEvent,
    lead_key,
)

IDS_PER_STATEMENT = 5_000
REASONS_TOLD = 3


def lead_cards(session: Session, lead_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Who each lead is, as a receiver would want to find them in its own tools."""
    cards: dict[int, dict[str, Any]] = {}
    for chunk in batched(sorted(set(lead_ids)), IDS_PER_STATEMENT):
        rows = session.execute(
            select(
                Lead.id,
                Lead.full_name,
                Lead.first_name,
                Lead.last_name,
                Lead.email,
                Lead.job_title,
                Company.name,
                Lead.company_name,
                Company.domain,
                Lead.country_code,
                Lead.owner,
            )
            .outerjoin(Company, Company.id == Lead.company_id)
            .where(Lead.id.in_(chunk))
        )
        for (
            lead_id,
            full,
            first,
            last,
            email,
            title,
            company,
            named,
            domain,
            country,
            owner,
        ) in rows:
            name = full or " ".join(part for part in (first, last) if part) or None
            cards[lead_id] = {
                "lead_id": lead_id,
                "name": name,
                "email": email,
                "title": title,
                "company": company or named,
                "domain": domain,
                "country": country,
                "owner": owner,
            }
    return cards


def served_now(
    session: Session, lead_ids: Sequence[int], *, with_reasons: bool = True
) -> dict[int, dict[str, Any]]:
    """Each lead's served score (grade as served: an override in force wins, and
    `overridden` says so)."""
    served: dict[int, dict[str, Any]] = {}
    reasons_column = LeadScore.reasons if with_reasons else LeadScore.reason_key
    for chunk in batched(sorted(set(lead_ids)), IDS_PER_STATEMENT):
        rows = session.execute(
            select(
                LeadScore.lead_id,
                LeadScore.grade,
                LeadScore.score,
                LeadScore.probability,
                reasons_column,
            ).where(LeadScore.latest, LeadScore.lead_id.in_(chunk))
        )
        for lead_id, grade, score, probability, reasons in rows:
            served[lead_id] = {
                "grade": grade,
                "computed_grade": grade,
                "score": score,
                "probability": probability,
                "overridden": False,
                **({"reasons": top_reasons(reasons)} if with_reasons else {}),
            }
        for lead_id, override in current_overrides(session, chunk).items():
            found = served.setdefault(lead_id, {"computed_grade": None})
            found["grade"], found["overridden"] = override.grade, True
    return served


def top_reasons(reasons: Any) -> list[str]:
    """The first reasons for a score (those for it, then those against), as words."""
    if isinstance(reasons, str):
        try:
            reasons = json.loads(reasons)
        except ValueError:
            return []
    if not isinstance(reasons, dict):
        return []
    told = [*(reasons.get("positive") or []), *(reasons.get("negative") or [])]
    return [str(reason) for reason in told[:REASONS_TOLD]]


def tell_override(
    session: Session, override: GradeOverride, *, previous_grade: str | None, cleared: bool
) -> None:
    """A person set or cleared a lead's grade: `lead.grade_changed` when the grade served
    changed."""
    if not wanted(session, LEAD_GRADE_CHANGED):
        return
    lead_id = override.lead_id
    now = served_now(session, [lead_id]).get(lead_id, {})
    grade = now.get("grade")
    if grade == previous_grade:
        return
    data = {
        **lead_cards(session, [lead_id]).get(lead_id, {"lead_id": lead_id}),
        **now,
        "grade": grade,
        "previous_grade": previous_grade,
        "override": None
        if cleared
        else {"grade": override.grade, "reason": override.reason, "by": override.set_by},
    }
    emit(session, [OutletEvent(LEAD_GRADE_CHANGED, data, lead_key(lead_id))])


def tell_merged(session: Session, merges: Sequence[tuple[int, Sequence[int]]]) -> None:
    """Leads merged: (kept lead, the leads merged into it) each, as `lead.merged`."""
    if not merges or not wanted(session, LEAD_MERGED):
        return
    cards = lead_cards(session, [kept for kept, _ in merges])
    emit(
        session,
        [
            OutletEvent(
                LEAD_MERGED,
                {**cards.get(kept, {"lead_id": kept}), "merged_lead_ids": sorted(gone)},
                lead_key(kept),
            )
            for kept, gone in merges
        ],
    )


def tell_owner_changed(
    session: Session, changes: Sequence[tuple[int, str | None, str | None, str]]
) -> None:
    """Owners changed: (lead, previous owner, new owner, why) each, as `lead.owner_changed`."""
    if not changes or not wanted(session, LEAD_OWNER_CHANGED):
        return
    cards = lead_cards(session, [lead_id for lead_id, *_ in changes])
    emit(
        session,
        [
            OutletEvent(
                LEAD_OWNER_CHANGED,
                {
                    **cards.get(lead_id, {"lead_id": lead_id}),
                    "owner": owner,
                    "previous_owner": before,
                    "assigned_by": why,
                },
                lead_key(lead_id),
            )
            for lead_id, before, owner, why in changes
        ],
    )
