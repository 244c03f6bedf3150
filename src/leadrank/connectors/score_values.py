"""What leadrank writes into a CRM record: each lead's served score, grade (an override in
force included), probability, reasons as text, fit, engagement, model version, when it was
scored, and its owner; each company's account score. Values are text, as CRMs take them,
rounded so that noise in the last digits is not a change worth a call."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.kit.sql import batched
from leadrank.leads.repository import current_overrides
from leadrank.orm import Lead
from leadrank.orm.scoring import AccountScore, LeadScore, ScoreRun

IDS_PER_STATEMENT = 5_000
REASONS_CHARS = 1_000  # a CRM text field's worth (HubSpot: 65,536; Salesforce long text)

# leadrank's names for what it pushes; each connector maps them onto its own fields.
LEAD_VALUES = ("score", "grade", "probability", "reasons", "fit", "engagement",
               "model_version", "scored_at", "owner", "owner_source")  # fmt: skip
ACCOUNT_VALUES = ("account_score", "account_grade", "account_probability", "account_leads")


def lead_values(session: Session, lead_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Each lead's values as leadrank serves them now (leads never scored: owner only)."""
    values: dict[int, dict[str, Any]] = {}
    for chunk in batched(sorted(set(lead_ids)), IDS_PER_STATEMENT):
        for lead_id, owner, source in session.execute(
            select(Lead.id, Lead.owner, Lead.owner_source).where(Lead.id.in_(chunk))
        ):
            values[lead_id] = {"owner": owner, "owner_source": source}
        rows = session.execute(
            select(
                LeadScore.lead_id,
                LeadScore.score,
                LeadScore.grade,
                LeadScore.probability,
                LeadScore.reasons,
                LeadScore.fit,
                LeadScore.engagement,
                ScoreRun.model_version,
                ScoreRun.finished_at,
            )
            .join(ScoreRun, ScoreRun.id == LeadScore.run_id)
            .where(LeadScore.latest, LeadScore.lead_id.in_(chunk))
        )
        for lead_id, score, grade, probability, reasons, fit, engagement, version, at in rows:
            if lead_id not in values:
                continue
            values[lead_id].update(
                score=_number(score, 0),
                grade=grade,
                probability=_number(probability, 4),
                reasons=reasons_text(reasons),
                fit=_number(fit, 0),
                engagement=_number(engagement, 0),
                model_version=version,
                scored_at=at.isoformat(timespec="seconds") if at else None,
            )
        for lead_id, override in current_overrides(session, chunk).items():
            if lead_id in values:
                values[lead_id]["grade"] = override.grade
    return values


def account_values(session: Session, company_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Each company's latest account score."""
    values: dict[int, dict[str, Any]] = {}
    for chunk in batched(sorted(set(company_ids)), IDS_PER_STATEMENT):
        rows = session.execute(
            select(
                AccountScore.company_id,
                AccountScore.score,
                AccountScore.grade,
                AccountScore.probability,
                AccountScore.leads,
            ).where(AccountScore.latest, AccountScore.company_id.in_(chunk))
        )
        for company_id, score, grade, probability, leads in rows:
            values[company_id] = {
                "account_score": _number(score, 0),
                "account_grade": grade,
                "account_probability": _number(probability, 4),
                "account_leads": str(leads),
            }
    return values


def reasons_text(reasons: Any) -> str | None:
    """The reasons as a CRM shows them: "+ reason" for, "- reason" against, a line each."""
    if isinstance(reasons, str):
        try:
            reasons = json.loads(reasons)
        except ValueError:
            return None
    if not isinstance(reasons, dict):
        return None
    lines = [f"+ {r}" for r in reasons.get("positive") or []]
    lines += [f"- {r}" for r in reasons.get("negative") or []]
    return "\n".join(lines)[:REASONS_CHARS] or None


def _number(value: Any, digits: int) -> str | None:
    if not isinstance(value, int | float):
        return None
    return f"{value:.{digits}f}"
