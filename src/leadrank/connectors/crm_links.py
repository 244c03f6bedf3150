"""Bookkeeping every CRM connector shares: which CRM record is which lead or company (found
through the `ext` identity key its pull gave the lead, "<vendor>:<record id>"), what was last
pushed to each, and how far each object type's pulls got."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from leadrank.kit.sql import batched, insert_missing, table_of
from leadrank.orm import CrmLink, Lead, LeadKey, SyncState
from leadrank.orm.scoring import AccountScore, GradeOverride, LeadScore, ScoreRun

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
    session: Session,
    *,
    vendor: str,
    object_type: str,
    lead_ids: Sequence[int] | None = None,
    changed_only: bool = True,
) -> list[Linked]:
    """The records of this type linked to a lead (or company), with what they got last:
    those of `lead_ids` if given; with `changed_only`, only those whose lead may have news
    since the CRM last took its values (never pushed or refused last time, scored, changed
    or re-graded by a person since), so a push reads a handful of leads, not every one."""
    link = CrmLink
    query = select(link.remote_id, link.lead_id, link.company_id, link.pushed).where(
        link.vendor == vendor,
        link.object_type == object_type,
        (link.lead_id.is_not(None)) | (link.company_id.is_not(None)),
    )
    if changed_only:
        query = query.where(_may_have_news())
    chunks = [None] if lead_ids is None else list(batched(sorted(set(lead_ids)), IDS_PER_STATEMENT))
    found = []
    for chunk in chunks:
        chosen = query if chunk is None else query.where(link.lead_id.in_(chunk))
        for remote_id, lead_id, company_id, pushed in session.execute(chosen):
            local = lead_id if lead_id is not None else company_id
            found.append(Linked(remote_id, local, dict(pushed or {})))
    return found


def _may_have_news() -> Any:
    """A link whose record may need values the CRM does not have yet."""
    link, pushed = CrmLink, CrmLink.pushed_at
    scored = (
        select(LeadScore.id)
        .join(ScoreRun, ScoreRun.id == LeadScore.run_id)
        .where(LeadScore.latest, LeadScore.lead_id == link.lead_id, ScoreRun.finished_at > pushed)
    )
    changed = select(Lead.id).where(Lead.id == link.lead_id, Lead.updated_at > pushed)
    regraded = select(GradeOverride.id).where(
        GradeOverride.lead_id == link.lead_id,
        (GradeOverride.set_at > pushed) | (GradeOverride.cleared_at > pushed),
    )
    account = (
        select(AccountScore.id)
        .join(ScoreRun, ScoreRun.id == AccountScore.run_id)
        .where(
            AccountScore.latest,
            AccountScore.company_id == link.company_id,
            ScoreRun.finished_at > pushed,
        )
    )
    return or_(
        pushed.is_(None),
        link.push_error.is_not(None),
        scored.exists(),
        changed.exists(),
        regraded.exists(),
        account.exists(),
    )


def record_pushed(
    session: Session,
    *,
    vendor: str,
    object_type: str,
    accepted: dict[str, dict[str, Any]],
    refused: dict[str, str],
    modified: dict[str, str] | None = None,
) -> None:
    """What the CRM took (merged into `pushed`, with the modification time it gave the record
    when it has one) and what it refused (kept as the error, the old values staying, so the
    next push sends them again)."""
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
            link.remote_modified_at = parse_moment((modified or {}).get(rid))
    for rid, error in refused.items():
        if link := links.get(rid):
            link.push_error = error[:500]
    session.flush()


def own_writes(
    session: Session, *, vendor: str, object_type: str, records: list[dict[str, Any]]
) -> set[str]:
    """The ids of pulled records whose last modification is leadrank's own last push (the
    CRM gave that time when it took it): nothing new to read there."""
    stamps = {str(r["id"]): parse_moment(r.get("updatedAt")) for r in records}
    own: set[str] = set()
    for chunk in batched(sorted(stamps), IDS_PER_STATEMENT):
        for remote_id, at in session.execute(
            select(CrmLink.remote_id, CrmLink.remote_modified_at).where(
                CrmLink.vendor == vendor,
                CrmLink.object_type == object_type,
                CrmLink.remote_id.in_(chunk),
                CrmLink.remote_modified_at.is_not(None),
            )
        ):
            if at is not None and stamps.get(remote_id) == at:
                own.add(remote_id)
    return own


def parse_moment(text: Any) -> datetime | None:
    """An ISO datetime as CRMs write them ("...Z", "...+0000") as an aware datetime (naive is
    UTC); None for anything else."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
