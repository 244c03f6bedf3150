"""Leads of a chosen grade or segment into an Instantly campaign, each lead once: the leads
sent are recorded per campaign (`campaign_pushes`), so running the push again sends only
leads that newly qualify. Each lead carries its score, grade and top reason as custom
variables, for the campaign's personalisation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from leadrank.connectors.instantly.client import ADD_LIMIT, CampaignAddOutcome, InstantlyClient
from leadrank.connectors.score_values import lead_values
from leadrank.db.engine import session_scope
from leadrank.errors import BadInput
from leadrank.kit.sql import insert_missing, table_of
from leadrank.orm import CampaignPush, Company, Lead
from leadrank.orm.scoring import LeadScore

VENDOR = "instantly"
GRADES = "ABCDE"


@dataclass(frozen=True)
class Segment:
    """Which leads go: served grade, a score floor, countries, seniorities (any given)."""

    grades: tuple[str, ...] = ()
    min_score: float | None = None
    countries: tuple[str, ...] = ()
    seniorities: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if unknown := [g for g in self.grades if g not in GRADES]:
            raise BadInput(f"unknown grade(s) {', '.join(unknown)}; grades are A-E")
        if not self.grades and self.min_score is None:
            raise BadInput("choose the leads: --grade and/or --min-score")


@dataclass
class CampaignReport:
    """What a push did."""

    campaign: str
    chosen: int = 0  # leads of the segment not sent to this campaign before
    without_email: int = 0
    sent: int = 0
    added: int = 0
    already_in_campaign: int = 0
    skipped: int = 0
    invalid: int = 0
    leads: list[int] = field(default_factory=list)


def choose(
    session: Session, campaign_id: str, segment: Segment, *, limit: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """The segment's leads not sent to this campaign yet, best score first, as Instantly's
    lead objects (with `lead_id`), and how many of them had no email."""
    sent = select(CampaignPush.lead_id).where(
        CampaignPush.vendor == VENDOR, CampaignPush.campaign_id == campaign_id
    )
    query = (
        select(LeadScore.lead_id)
        .join(Lead, Lead.id == LeadScore.lead_id)
        .where(LeadScore.latest, LeadScore.lead_id.not_in(sent))
        .order_by(LeadScore.score.desc(), LeadScore.lead_id)
    )
    if segment.min_score is not None:
        query = query.where(LeadScore.score >= segment.min_score)
    if segment.countries:
        query = query.where(Lead.country_code.in_([c.upper() for c in segment.countries]))
    if segment.seniorities:
        query = query.where(Lead.seniority.in_(list(segment.seniorities)))
    candidates = list(session.scalars(query))
    values = lead_values(session, candidates)
    chosen = [
        lead_id
        for lead_id in candidates
        if not segment.grades or values.get(lead_id, {}).get("grade") in segment.grades
    ][: limit or None]
    people = _people(session, chosen)
    leads, without = [], 0
    for lead_id in chosen:
        person = people.get(lead_id)
        if person is None or not person["email"]:
            without += 1
            continue
        leads.append(instantly_lead(lead_id, person, values.get(lead_id, {})))
    return leads, without


def push(
    engine: Engine,
    client: InstantlyClient,
    *,
    campaign_id: str,
    segment: Segment,
    limit: int | None = None,
    skip_if_in_workspace: bool = False,
    skip_if_in_campaign: bool = False,
    dry_run: bool = False,
) -> CampaignReport:
    """Add the segment's new leads to the campaign, recording each request's leads in a short
    transaction of its own once Instantly answered: no transaction is open while it does, and
    a push stopped half-way keeps what went through. A lead is recorded when Instantly added
    it, or when every lead it did not add was already in the campaign; one skipped for another
    reason (a flag, the blocklist, the plan's limit) is tried again by the next push."""
    client.campaign(campaign_id)  # a campaign that does not exist fails before anything
    with session_scope(engine) as session:
        leads, without = choose(session, campaign_id, segment, limit=limit)
    report = CampaignReport(
        campaign=campaign_id, chosen=len(leads) + without, without_email=without
    )
    report.leads = [lead["lead_id"] for lead in leads]
    if dry_run:
        return report
    for start in range(0, len(leads), ADD_LIMIT):
        chunk = leads[start : start + ADD_LIMIT]
        outcome = client.add_leads_to_campaign(
            campaign_id,
            [{k: v for k, v in lead.items() if k != "lead_id"} for lead in chunk],
            skip_if_in_workspace=skip_if_in_workspace,
            skip_if_in_campaign=skip_if_in_campaign,
        )
        report.sent += outcome.sent
        report.added += outcome.uploaded
        report.already_in_campaign += outcome.already_in_campaign
        report.skipped += outcome.skipped
        report.invalid += outcome.invalid
        with session_scope(engine, writes=True) as session:
            _record(session, campaign_id, chunk, outcome)
    return report


def _record(
    session: Session, campaign_id: str, chunk: list[dict[str, Any]], outcome: CampaignAddOutcome
) -> None:
    created = {email.lower(): rid for email, rid in outcome.created.items()}
    rest_were_there = outcome.already_in_campaign == len(chunk) - len(created)
    now = datetime.now(UTC)
    rows = [
        {
            "vendor": VENDOR,
            "campaign_id": campaign_id,
            "lead_id": lead["lead_id"],
            "remote_id": created.get(lead["email"].lower()),
            "outcome": "added" if lead["email"].lower() in created else "already_there",
            "pushed_at": now,
        }
        for lead in chunk
        if lead["email"].lower() in created or rest_were_there
    ]
    if rows:
        insert_missing(session.connection(), table_of(CampaignPush), rows)


def instantly_lead(lead_id: int, person: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A lead as Instantly's add-leads call takes it."""
    reasons = (values.get("reasons") or "").splitlines()
    lead = {
        "lead_id": lead_id,
        "email": person["email"],
        "first_name": person["first_name"],
        "last_name": person["last_name"],
        "company_name": person["company"],
        "job_title": person["title"],
        "website": person["domain"],
        "phone": person["phone"],
        "custom_variables": {
            "leadrank_score": values.get("score"),
            "leadrank_grade": values.get("grade"),
            "leadrank_top_reason": reasons[0].lstrip("+- ") if reasons else None,
        },
    }
    lead["custom_variables"] = {k: v for k, v in lead["custom_variables"].items() if v}
    return {k: v for k, v in lead.items() if v not in (None, "", {})}


def _people(session: Session, lead_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = session.execute(
        select(
            Lead.id, Lead.email, Lead.email_valid, Lead.first_name, Lead.last_name,
            Lead.job_title, Lead.phone_e164, Company.name, Lead.company_name, Company.domain,
        )
        .outerjoin(Company, Company.id == Lead.company_id)
        .where(Lead.id.in_(list(lead_ids)))
    )  # fmt: skip
    return {
        lead_id: {
            "email": email if valid is not False else None,
            "first_name": first,
            "last_name": last,
            "title": title,
            "phone": phone,
            "company": company or named,
            "domain": domain,
        }
        for lead_id, email, valid, first, last, title, phone, company, named, domain in rows
    }
