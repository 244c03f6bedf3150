"""Bronze writes: hash each verbatim record, skip what the source already sent, store the rest."""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from leadrank.kit.bulk import bulk_insert, lookup_in
from leadrank.kit.sql import batched
from leadrank.orm import BronzeRecord

# Hashes looked up per statement: one JSON (SQLite) or array (PostgreSQL) parameter each.
HASH_BATCH = 50_000


def content_hashes(payloads: pl.Series) -> list[str]:
    """SHA-256 of each record's verbatim JSON text."""
    sha = hashlib.sha256
    return [sha(text.encode()).hexdigest() for text in payloads.to_list()]


def known_hashes(session: Session, *, source: str, kind: str, hashes: list[str]) -> set[str]:
    """The hashes among these that bronze already holds for this source and kind."""
    found: set[str] = set()
    for batch in batched(hashes, HASH_BATCH):
        rows = lookup_in(
            session,
            table="bronze_records",
            select=["content_hash"],
            column="content_hash",
            values=batch,
            where={"source": source, "kind": kind},
        )
        found.update(row[0] for row in rows)
    return found


def bronze_rows(
    *,
    import_id: int,
    kind: str,
    source: str,
    file_name: str,
    received_at: datetime,
    frame: pl.DataFrame,
) -> pl.DataFrame:
    """Rows for bronze_records from a frame with row_number, content_hash, payload, status,
    reasons (JSON text or null) and lead_id."""
    return frame.select(
        pl.lit(import_id, dtype=pl.Int64).alias("import_id"),
        pl.lit(kind).alias("kind"),
        pl.lit(source).alias("source"),
        pl.lit(file_name).alias("file_name"),
        pl.lit(received_at, dtype=pl.Datetime("us", "UTC")).alias("received_at"),
        "row_number",
        "content_hash",
        "payload",
        "status",
        pl.col("reasons").cast(pl.String),
        pl.col("lead_id").cast(pl.Int64),
    )


def write_bronze(session: Session, rows: pl.DataFrame, *, want_ids: bool) -> list[int]:
    """Append records to bronze; the ids come back in input order when asked for."""
    return bulk_insert(session, BronzeRecord, rows, return_ids=want_ids)
