"""A person's grade for a lead: served in place of the computed grade, with who set it, when
and why, until it is cleared. Scoring never touches it, so the computed score keeps updating
beside it and shows when the person's view and the model's part ways."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadrank.errors import BadInput, Conflict, NotFound
from leadrank.kit.sql import get_or_404
from leadrank.leads.outlet_events import served_now, tell_override
from leadrank.leads.repository import current_overrides
from leadrank.orm import Lead
from leadrank.orm.scoring import GradeOverride

GRADES = "ABCDE"


def set_override(
    session: Session, *, lead_id: int, grade: str, reason: str, by: str
) -> GradeOverride:
    """Give a lead a grade by hand; an override already in force is cleared by this one."""
    letter = grade.strip().upper()
    if len(letter) != 1 or letter not in GRADES:
        raise BadInput(f"grade {grade!r} is not one of A, B, C, D, E")
    if not reason.strip():
        raise BadInput("say why (--reason): the next person to read the grade will want to know")
    who = _who(by)
    get_or_404(session, Lead, lead_id, name="lead")
    now = datetime.now(UTC)
    served_before = served_now(session, [lead_id]).get(lead_id, {}).get("grade")
    previous = current_overrides(session, [lead_id]).get(lead_id)
    if previous is not None:
        previous.cleared_by, previous.cleared_at = who, now
        session.flush()  # cleared first: the database allows one override in force per lead
    override = GradeOverride(
        lead_id=lead_id, grade=letter, reason=reason.strip(), set_by=who, set_at=now
    )
    session.add(override)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"lead {lead_id}'s grade was overridden by someone else just now; look again"
        ) from exc
    tell_override(session, override, previous_grade=served_before, cleared=False)
    return override


def clear_override(session: Session, *, lead_id: int, by: str) -> GradeOverride:
    """End a lead's override: its computed grade is served again."""
    who = _who(by)
    override = current_overrides(session, [lead_id]).get(lead_id)
    if override is None:
        raise NotFound(f"lead {lead_id} has no grade override to clear")
    override.cleared_by, override.cleared_at = who, datetime.now(UTC)
    session.flush()
    tell_override(session, override, previous_grade=override.grade, cleared=True)
    return override


def _who(by: str) -> str:
    if not by.strip():
        raise BadInput("say who you are (--by NAME)")
    return by.strip()
