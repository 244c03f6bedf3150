"""The leads waiting to be scored again because their data changed, and every query of them.

Whatever writes a lead's data (an import of its record or its events, a merge into it,
enrichment) marks it in the same transaction; the next rescore of what changed takes the
marks it can see and scores those leads. Marks are plain rows, repeated as often as a lead is
touched, so two writers never wait for each other over one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from leadrank.kit.bulk import bulk_insert
from leadrank.orm import BronzeRecord
from leadrank.orm.base import UtcDateTime
from leadrank.orm.scoring import PendingRescore


def mark_leads(session: Session, lead_ids: Collection[int], *, now: datetime | None = None) -> int:
    """Mark these leads for the next rescore; how many were marked."""
    ids = sorted(set(lead_ids))
    frame = pl.DataFrame(
        {"lead_id": ids, "marked_at": [now or datetime.now(UTC)] * len(ids)},
        schema={"lead_id": pl.Int64, "marked_at": pl.Datetime("us", "UTC")},
    )
    bulk_insert(session, PendingRescore, frame)
    return len(ids)


def mark_imported(
    session: Session, import_ids: Sequence[int], *, now: datetime | None = None
) -> None:
    """Mark every lead a record of these imports loaded into: the leads created or updated,
    those new leads were merged into (a merge moves its records along), and those that got
    events."""
    if not import_ids:
        return
    touched = (
        select(BronzeRecord.lead_id, bindparam("now", now or datetime.now(UTC), UtcDateTime()))
        .where(
            BronzeRecord.import_id.in_(list(import_ids)),
            BronzeRecord.status == "loaded",
            BronzeRecord.lead_id.is_not(None),
        )
        .distinct()
    )
    session.execute(insert(PendingRescore).from_select(["lead_id", "marked_at"], touched))


def take_marked(session: Session) -> list[int]:
    """The marked leads, once each, their marks removed. Only marks this transaction can see
    are taken: one committed meanwhile stays for the next rescore."""
    taken = session.scalars(
        delete(PendingRescore)
        .returning(PendingRescore.lead_id)
        .execution_options(synchronize_session=False)
    )
    return sorted(set(taken))


def newest_mark(session: Session) -> datetime | None:
    """When the last lead was marked; None when none waits."""
    return session.scalar(select(func.max(PendingRescore.marked_at)))
