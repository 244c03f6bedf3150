"""Reading silver: one lead with its history, and workspace statistics (lists are in
`browse`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import desc, func, select
from sqlalchemy.orm import Session

from leadrank.errors import NotFound
from leadrank.leads import repository
from leadrank.leads.identity import bounded_key
from leadrank.orm import BronzeRecord, Company, Event, Import, Lead, LeadKey, LeadMerge
from leadrank.orm.base import LARGEST_ID


@dataclass(frozen=True)
class LeadDetail:
    """A lead with its company, the records it came from and its events."""

    lead: Lead
    company: Company | None
    records: list[BronzeRecord]
    events: list[Event]
    imports: dict[int, Import]


def get_lead(session: Session, *, ref: str) -> LeadDetail:
    """One lead by id or email, with where each value came from."""
    if ref.isascii() and ref.isdigit():  # "²" and "①" are digits to Python, not ids
        if int(ref) > LARGEST_ID:
            raise NotFound(f"no lead {ref}")
        lead = session.get(Lead, int(ref))
        if lead is None:
            merged_into = session.scalar(
                select(LeadMerge.kept_lead_id).where(
                    LeadMerge.merged_lead_id == int(ref), LeadMerge.undone_at.is_(None)
                )
            )
            if merged_into is not None:
                raise NotFound(f"lead {ref} was merged into lead {merged_into}")
    else:
        # Every email a lead was ever known by is one of its keys.
        lead = session.scalar(
            select(Lead)
            .join(LeadKey, LeadKey.lead_id == Lead.id)
            .where(
                LeadKey.key_type == "email", LeadKey.key_value == bounded_key(ref.strip().lower())
            )
        )
    if lead is None:
        raise NotFound(f"no lead {ref!r}")
    company = session.get(Company, lead.company_id) if lead.company_id else None
    records = list(
        session.scalars(
            select(BronzeRecord).where(BronzeRecord.lead_id == lead.id).order_by(BronzeRecord.id)
        )
    )
    events = list(
        session.scalars(select(Event).where(Event.lead_id == lead.id).order_by(Event.occurred_at))
    )
    # Where each of the lead's and its company's values came from.
    origins = [
        *(lead.provenance or {}).values(),
        *((company.provenance or {}) if company else {}).values(),
    ]
    import_ids = {r.import_id for r in records} | {p[0] for p in origins if p}
    return LeadDetail(lead, company, records, events, imports_by_id(session, import_ids))


def imports_by_id(session: Session, import_ids: Iterable[int]) -> dict[int, Import]:
    """These imports, by id (the ids of no import are left out)."""
    wanted = sorted({i for i in import_ids if isinstance(i, int)})
    if not wanted:
        return {}
    return {found.id: found for found in repository.imports_with_ids(session, wanted)}


def still_enriched(row: Lead | Company) -> dict[str, dict[str, Any]]:
    """A lead's (or company's) values enrichment set that no import has changed since, with
    who and when."""
    found: dict[str, dict[str, Any]] = {}
    for name, entry in (row.enrichment or {}).items():
        if not isinstance(entry, dict) or name.startswith("attributes."):
            continue
        if getattr(row, name, None) == entry.get("value"):
            found[name] = {k: entry.get(k) for k in ("provider", "at", "confidence")}
    return found


def get_company(session: Session, *, company_id: int) -> Company:
    """One company by id; NotFound says which company one folded into another became."""
    if not 0 < company_id <= LARGEST_ID:
        raise NotFound(f"no company {company_id}")
    company = session.get(Company, company_id)
    if company is None:
        folded_into = repository.company_folded_into(session, company_id)
        if folded_into is not None:
            raise NotFound(f"company {company_id} was merged into company {folded_into}")
        raise NotFound(f"no company {company_id}")
    return company


@dataclass(frozen=True)
class WorkspaceStats:
    """Counts per layer, imports, quality and the lead mix."""

    counts: dict[str, int]
    merged_leads: int
    quality: tuple[float | None, float | None, float | None]
    seniority: list[tuple[str | None, int]]
    countries: list[tuple[str | None, int]]
    events: list[tuple[str, int]]
    imports: list[Import]


def workspace_stats(session: Session) -> WorkspaceStats:
    """Counts per layer, imports, quality and the lead mix."""

    def grouped(column: Any, limit: int | None = None) -> list[Any]:
        statement = select(column, func.count()).group_by(column).order_by(desc(func.count()))
        return [tuple(row) for row in session.execute(statement.limit(limit))]

    quality = session.execute(
        select(
            func.avg(Lead.quality_score), func.min(Lead.quality_score), func.max(Lead.quality_score)
        )
    ).one()
    records_per_lead = (
        select(BronzeRecord.lead_id)
        .where(BronzeRecord.lead_id.is_not(None))
        .group_by(BronzeRecord.lead_id)
        .having(func.count() > 1)
        .subquery()
    )
    return WorkspaceStats(
        counts=repository.count_rows(session),
        merged_leads=int(session.scalar(select(func.count()).select_from(records_per_lead)) or 0),
        quality=(quality[0], quality[1], quality[2]),
        seniority=grouped(Lead.seniority),
        countries=grouped(Lead.country_code, 8),
        events=grouped(Event.event_type),
        imports=list(session.scalars(select(Import).order_by(Import.id))),
    )
