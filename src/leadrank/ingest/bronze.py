"""Bronze writes: hash each verbatim record, skip what the source already sent, store the rest."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.kit.sql import batched, insert_many, insert_returning_ids
from leadrank.orm import BronzeRecord


def content_hashes(payloads: pl.Series) -> list[str]:
    """SHA-256 of each record's verbatim JSON text."""
    sha = hashlib.sha256
    return [sha(text.encode()).hexdigest() for text in payloads.to_list()]


def known_hashes(session: Session, *, source: str, kind: str, hashes: list[str]) -> set[str]:
    """The hashes among these that bronze already holds for this source and kind."""
    found: set[str] = set()
    for batch in batched(hashes):
        found.update(
            session.execute(
                select(BronzeRecord.content_hash).where(
                    BronzeRecord.source == source,
                    BronzeRecord.kind == kind,
                    BronzeRecord.content_hash.in_(batch),
                )
            ).scalars()
        )
    return found


def bronze_rows(
    *,
    import_id: int,
    kind: str,
    source: str,
    file_name: str,
    received_at: datetime,
    frame: pl.DataFrame,
) -> list[dict[str, Any]]:
    """Rows for bronze_records from a frame with row_number, content_hash, payload, status,
    reasons (JSON text or null) and lead_id."""
    constant = {
        "import_id": import_id,
        "kind": kind,
        "source": source,
        "file_name": file_name,
        "received_at": received_at,
    }
    columns = ["row_number", "content_hash", "payload", "status", "reasons", "lead_id"]
    return [{**constant, **row} for row in frame.select(columns).iter_rows(named=True)]


def write_bronze(session: Session, rows: list[dict[str, Any]], *, want_ids: bool) -> list[int]:
    """Append records to bronze; the ids come back in input order when asked for."""
    if want_ids:
        return insert_returning_ids(session, BronzeRecord, rows)
    insert_many(session, BronzeRecord, rows)
    return []
