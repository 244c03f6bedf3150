"""Every query of the silver layer: lead keys, leads and companies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadrank.kit.bulk import lookup_in
from leadrank.kit.sql import batched, table_of
from leadrank.leads.identity import Key
from leadrank.orm import BronzeRecord, Company, Event, Lead

# Keys looked up per statement: one JSON (SQLite) or array (PostgreSQL) parameter each.
KEY_BATCH = 50_000


def find_lead_keys(session: Session, keys: Iterable[Key]) -> dict[Key, int]:
    """The lead that owns each of these keys, for the keys that exist."""
    by_type: dict[str, list[str]] = {}
    for key_type, value in set(keys):
        by_type.setdefault(key_type, []).append(value)
    found: dict[Key, int] = {}
    for key_type, values in by_type.items():
        for batch in batched(sorted(values), KEY_BATCH):
            rows = lookup_in(
                session,
                table="lead_keys",
                select=["key_value", "lead_id"],
                column="key_value",
                values=batch,
                where={"key_type": key_type},
            )
            found.update(((key_type, value), lead_id) for value, lead_id in rows)
    return found


def load_rows(
    session: Session, model: type[Lead] | type[Company], ids: Iterable[int]
) -> dict[int, dict[str, Any]]:
    """Whole rows by id, as plain dicts."""
    table = table_of(model)
    rows: dict[int, dict[str, Any]] = {}
    for batch in batched(sorted(set(ids))):
        for row in session.execute(select(table).where(table.c.id.in_(batch))).mappings():
            rows[row["id"]] = dict(row)
    return rows


def find_companies(session: Session, match_keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Existing companies by match key, as plain dicts."""
    table = table_of(Company)
    found: dict[str, dict[str, Any]] = {}
    for batch in batched(sorted(set(match_keys))):
        for row in session.execute(select(table).where(table.c.match_key.in_(batch))).mappings():
            found[row["match_key"]] = dict(row)
    return found


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
