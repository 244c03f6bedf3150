"""Bookkeeping every CRM connector shares: which CRM record is which lead or company (found
through the `ext` identity key its pull gave the lead, "<vendor>:<record id>"), what was last
pushed to each, and how far each object type's pulls got."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from leadrank.kit.sql import batched, insert_missing, table_of
from leadrank.orm import CrmLink, Lead, LeadKey, SyncState

IDS_PER_STATEMENT = 5_000


@dataclass(frozen=True)
class Linked:
    """A CRM record that is a lead (or company) of the workspace, and what it last got."""

    remote_id: str
    local_id: int
    pushed: dict[str, Any]


def link_people(
    session: Session, *, vendor: str, object_type: str, remote_ids: Iterable[str]
) -> dict[str, int]:
    """Link pulled people records to the leads their ext keys name; remote id -> lead id."""
    wanted = {f"{vendor}:{rid}": rid for rid in remote_ids}
    found: dict[str, int] = {}
    for chunk in batched(sorted(wanted), IDS_PER_STATEMENT):
        for key, lead_id in session.execute(
            select(LeadKey.key_value, LeadKey.lead_id).where(
                LeadKey.key_type == "ext", LeadKey.key_value.in_(chunk)
            )
        ):
            found[wanted[key]] = lead_id
    _upsert(session, vendor, object_type, {rid: {"lead_id": lead} for rid, lead in found.items()})
    return found


def link_companies(
    session: Session,
    *,
    vendor: str,
    object_type: str,
    company_of_person: dict[str, str],
    lead_of_person: dict[str, int],
) -> dict[str, int]:
    """Link CRM companies to the workspace companies their people's leads belong to;
    remote company id -> company id."""
    lead_ids = sorted(set(lead_of_person.values()))
    company_of_lead: dict[int, int | None] = {}
    for chunk in batched(lead_ids, IDS_PER_STATEMENT):
        company_of_lead.update(
            dict(session.execute(select(Lead.id, Lead.company_id).where(Lead.id.in_(chunk))).all())
        )
    found: dict[str, int] = {}
    for person, remote_company in company_of_person.items():
        lead_id = lead_of_person.get(person)
        company_id = company_of_lead.get(lead_id) if lead_id is not None else None
        if company_id is not None:
            found.setdefault(remote_company, company_id)
    _upsert(session, vendor, object_type, {rid: {"company_id": cid} for rid, cid in found.items()})
    return found


def unlink(session: Session, *, vendor: str, object_type: str, remote_ids: Iterable[str]) -> None:
    """These CRM records are no longer pushed to (a Salesforce Lead once converted)."""
    for chunk in batched(sorted(set(remote_ids)), IDS_PER_STATEMENT):
        session.execute(
            delete(CrmLink).where(
                CrmLink.vendor == vendor,
                CrmLink.object_type == object_type,
                CrmLink.remote_id.in_(chunk),
            )
        )


def linked(
    session: Session, *, vendor: str, object_type: str, lead_ids: Sequence[int] | None = None
) -> list[Linked]:
    """The records of this type linked to a lead (or to a company), with what they got last."""
    query = select(CrmLink).where(CrmLink.vendor == vendor, CrmLink.object_type == object_type)
    rows = session.scalars(query).all()
    chosen = set(lead_ids) if lead_ids is not None else None
    found = []
    for link in rows:
        local = link.lead_id if link.lead_id is not None else link.company_id
        if local is None or (chosen is not None and local not in chosen):
            continue
        found.append(Linked(link.remote_id, local, dict(link.pushed or {})))
    return found


def record_pushed(
    session: Session,
    *,
    vendor: str,
    object_type: str,
    accepted: dict[str, dict[str, Any]],
    refused: dict[str, str],
) -> None:
    """What the CRM took (merged into `pushed`) and what it refused (kept as the error, the
    old values staying, so the next push sends them again)."""
    now = datetime.now(UTC)
    links = {
        link.remote_id: link
        for chunk in batched(sorted({*accepted, *refused}), IDS_PER_STATEMENT)
        for link in session.scalars(
            select(CrmLink).where(
                CrmLink.vendor == vendor,
                CrmLink.object_type == object_type,
                CrmLink.remote_id.in_(chunk),
            )
        )
    }
    for rid, values in accepted.items():
        if link := links.get(rid):
            link.pushed = {**(link.pushed or {}), **values}
            link.pushed_at, link.push_error = now, None
    for rid, error in refused.items():
        if link := links.get(rid):
            link.push_error = error[:500]
    session.flush()


def changed_values(new: dict[str, Any], pushed: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from what the CRM last accepted (empty and never sent are the
    same: a lead never scored sends nothing)."""
    return {name: value for name, value in new.items() if _blank(pushed.get(name)) != _blank(value)}


def _blank(value: Any) -> Any:
    return None if value == "" else value


def sync_state(session: Session, *, vendor: str, object_type: str) -> SyncState:
    """The object type's sync state, made on first use."""
    insert_missing(
        session.connection(),
        table_of(SyncState),
        [{"vendor": vendor, "object_type": object_type}],
    )
    state = session.get(SyncState, (vendor, object_type))
    assert state is not None
    return state


def states(session: Session, *, vendor: str) -> list[SyncState]:
    """Every object type's sync state of a vendor."""
    return list(
        session.scalars(
            select(SyncState).where(SyncState.vendor == vendor).order_by(SyncState.object_type)
        )
    )


def _upsert(
    session: Session, vendor: str, object_type: str, rows: dict[str, dict[str, Any]]
) -> None:
    if not rows:
        return
    now = datetime.now(UTC)
    for chunk in batched(sorted(rows), IDS_PER_STATEMENT):
        insert_missing(
            session.connection(),
            table_of(CrmLink),
            [
                {"vendor": vendor, "object_type": object_type, "remote_id": rid, "seen_at": now}
                for rid in chunk
            ],
        )
    # An ORM bulk update by primary key: one executemany, not a statement per record.
    session.execute(
        update(CrmLink),
        [
            {
                "vendor": vendor,
                "object_type": object_type,
                "remote_id": rid,
                "seen_at": now,
                **values,
            }
            for rid, values in rows.items()
        ],
    )
