"""Merging many leads at once, set-based: an import can find thousands of near-duplicates.

Each absorbed lead folds into its keeper by the rules of merge_pair: the keeper's empty fields
are filled (with their provenance), attributes and sources unioned, keys, bronze records, events
and earlier merges moved, and a snapshot recorded so that the merge can be undone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from leadrank.kit.bulk import bulk_insert, bulk_update, lookup_in, select_frame
from leadrank.kit.sql import batched
from leadrank.leads.fields import LEAD_COLUMNS
from leadrank.leads.outlet_events import tell_merged
from leadrank.leads.upsert_existing import reconciled_issues
from leadrank.matching.prepare import lead_blocks
from leadrank.orm import BronzeRecord, Event, Lead, LeadMerge, LeadReview

# Lead columns a merge may fill, each with its own provenance: those an import fills.
FIELDS = ("company_id", *LEAD_COLUMNS.values())
JSON_COLUMNS = ("issues", "attributes", "provenance", "sources")
DATETIMES = ("source_created_at", "created_at", "updated_at")
ALL_COLUMNS = tuple(c.key for c in Lead.__table__.columns)


def snapshot_row(row: dict[str, Any]) -> dict[str, Any]:
    """A lead row as stored in a merge snapshot: JSON decoded, datetimes as ISO text."""
    out = {}
    for name, value in row.items():
        if name in JSON_COLUMNS and isinstance(value, str):
            value = json.loads(value)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _grouped(rows: list[tuple[Any, ...]]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for owner, *rest in rows:
        found.setdefault(int(owner), []).append(rest[0] if len(rest) == 1 else list(rest))
    return found


def merge_many(
    session: Session, merges: Sequence[tuple[int, int, float | None]], *, by: str, now: datetime
) -> list[int]:
    """Fold each (keep, absorb, score): no lead may be absorbed twice or both keep and be
    absorbed. Returns the new merge ids in order."""
    if not merges:
        return []
    keepers = {keep for keep, _, _ in merges}
    absorbed = [absorb for _, absorb, _ in merges]
    if len(set(absorbed)) != len(absorbed) or keepers & set(absorbed):
        raise ValueError("each lead may be absorbed once, and a keeper is not absorbed")
    rows = {
        int(row["id"]): snapshot_row(row)
        for row in select_frame(
            session, Lead, sorted(keepers | set(absorbed)), ALL_COLUMNS
        ).to_dicts()
    }
    keys = _grouped(
        lookup_in(
            session,
            table="lead_keys",
            select=["lead_id", "key_type", "key_value"],
            column="lead_id",
            values=absorbed,
        )
    )
    records = _grouped(
        lookup_in(
            session,
            table="bronze_records",
            select=["lead_id", "id"],
            column="lead_id",
            values=absorbed,
        )
    )
    events = _grouped(
        lookup_in(
            session, table="events", select=["lead_id", "id"], column="lead_id", values=absorbed
        )
    )
    earlier = _grouped(
        [
            (kept, merge_id)
            for kept, merge_id, undone in lookup_in(
                session,
                table="lead_merges",
                select=["kept_lead_id", "id", "undone_at"],
                column="kept_lead_id",
                values=absorbed,
            )
            if undone is None
        ]
    )

    snapshots, folded = [], {keep: dict(rows[keep]) for keep in keepers}
    for keep, absorb, _ in merges:
        snapshots.append(
            {
                "kept": dict(folded[keep]),
                "merged": rows[absorb],
                "keys": keys.get(absorb, []),
                "bronze": records.get(absorb, []),
                "events": events.get(absorb, []),
                "merges": earlier.get(absorb, []),
            }
        )
        folded[keep] = fold(folded[keep], rows[absorb])

    _write_keepers(session, list(folded.values()), now)
    _move_children(session, merges, records, events)
    for batch in batched(absorbed, 10_000):
        listed = list(batch)
        # Pending reviews of a merged lead are moot; decisions stay with the lead that remains.
        session.execute(
            delete(LeadReview).where(
                LeadReview.status == "pending",
                LeadReview.lead_a.in_(listed) | LeadReview.lead_b.in_(listed),
            )
        )
        session.execute(delete(Lead).where(Lead.id.in_(listed)))
    ids = bulk_insert(
        session,
        LeadMerge,
        pl.DataFrame(
            {
                "kept_lead_id": [keep for keep, _, _ in merges],
                "merged_lead_id": absorbed,
                "match_score": [score for _, _, score in merges],
                "decided_by": [by] * len(merges),
                "created_at": [now] * len(merges),
                "snapshot": [json.dumps(s, ensure_ascii=False, default=str) for s in snapshots],
            },
            schema_overrides={"match_score": pl.Float64, "created_at": pl.Datetime("us", "UTC")},
        ),
        return_ids=True,
    )
    session.expire_all()  # ORM objects loaded before this no longer match their rows
    gathered: dict[int, list[int]] = {}
    for keep, absorb, _ in merges:
        gathered.setdefault(keep, []).append(absorb)
    tell_merged(session, list(gathered.items()))
    return ids


def fold(kept: dict[str, Any], gone: dict[str, Any]) -> dict[str, Any]:
    """The kept lead with the other's values where it has none (never an empty value over a
    filled one), attributes and sources unioned, the better quality, issues reconciled."""
    out = dict(kept)
    provenance = dict(kept.get("provenance") or {})
    for name in FIELDS:
        if out.get(name) is None and gone.get(name) is not None:
            out[name] = gone[name]
            if name in (gone.get("provenance") or {}):
                provenance[name] = gone["provenance"][name]
    out["provenance"] = provenance
    out["attributes"] = {**(gone.get("attributes") or {}), **(kept.get("attributes") or {})}
    sources = list(kept.get("sources") or [])
    out["sources"] = sources + [s for s in gone.get("sources") or [] if s not in sources]
    out["quality_score"] = max(kept.get("quality_score") or 0.0, gone.get("quality_score") or 0.0)
    out["issues"] = reconciled_issues(list(kept.get("issues") or []), out)
    return out


def _write_keepers(session: Session, keepers: list[dict[str, Any]], now: datetime) -> None:
    def value(lead: dict[str, Any], name: str) -> Any:
        found = lead.get(name)
        return (
            datetime.fromisoformat(found) if name in DATETIMES and isinstance(found, str) else found
        )

    frame = pl.DataFrame(
        {
            "id": [k["id"] for k in keepers],
            **{name: [value(k, name) for k in keepers] for name in FIELDS},
            "quality_score": [k["quality_score"] for k in keepers],
            **{
                name: [json.dumps(k[name], ensure_ascii=False) for k in keepers]
                for name in JSON_COLUMNS
            },
        },
        schema_overrides={
            "source_created_at": pl.Datetime("us", "UTC"),
            "company_id": pl.Int64,
            "quality_score": pl.Float64,
            **{flag: pl.Boolean for flag in FIELDS if flag.startswith("email_")},
        },
        strict=False,
    ).with_columns(pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("updated_at"))
    frame = frame.with_columns(
        lead_blocks(
            frame["first_name"], frame["last_name"], frame["company_id"], frame["country_code"]
        )
    )
    bulk_update(session, Lead, frame)


def _move_children(
    session: Session,
    merges: Sequence[tuple[int, int, float | None]],
    records: dict[int, list[Any]],
    events: dict[int, list[Any]],
) -> None:
    """Keys, bronze records, events, CRM links and earlier merges of each absorbed lead to its
    keeper (a CRM record of the absorbed lead keeps getting the keeper's scores)."""
    moves = [{"keep": keep, "absorb": absorb} for keep, absorb, _ in merges]
    session.execute(text("UPDATE lead_keys SET lead_id = :keep WHERE lead_id = :absorb"), moves)
    session.execute(text("UPDATE crm_links SET lead_id = :keep WHERE lead_id = :absorb"), moves)
    session.execute(
        text(
            "UPDATE lead_merges SET kept_lead_id = :keep "
            "WHERE kept_lead_id = :absorb AND undone_at IS NULL"
        ),
        moves,
    )
    for model, owned in ((BronzeRecord, records), (Event, events)):
        pairs = [(i, keep) for keep, absorb, _ in merges for i in owned.get(absorb, [])]
        if pairs:
            bulk_update(
                session,
                model,
                pl.DataFrame(pairs, schema={"id": pl.Int64, "lead_id": pl.Int64}, orient="row"),
            )
