"""Bronze writes: hash each verbatim record, skip what the source already sent, store the rest."""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from leadrank.kit.bulk import bulk_insert, bulk_update, lookup_in
from leadrank.orm import BronzeRecord


def content_hashes(payloads: pl.Series) -> list[str]:
    """SHA-256 of each record's verbatim JSON text."""
    sha = hashlib.sha256
    return [sha(text.encode()).hexdigest() for text in payloads.to_list()]


def known_records(
    session: Session, *, source: str, kind: str, hashes: list[str]
) -> dict[str, tuple[int, str]]:
    """For the hashes bronze already holds for this source and kind: (record id, status)."""
    rows = lookup_in(
        session,
        table="bronze_records",
        select=["content_hash", "id", "status"],
        column="content_hash",
        values=hashes,
        where={"source": source, "kind": kind},
    )
    return {content_hash: (record_id, status) for content_hash, record_id, status in rows}


def write_bronze(
    session: Session,
    records: pl.DataFrame,
    *,
    import_id: int,
    kind: str,
    source: str,
    file_name: str,
    received_at: datetime,
    want_ids: bool,
) -> list[int]:
    """Append new records to bronze and give retried ones their new status, reasons and lead;
    the ids come back in input order when asked for. A retried record keeps where and when it
    first came from.

    `records` has row_number, content_hash, payload, status, reasons (JSON text or null),
    lead_id and retry_of (the id of a quarantined record sent again, else null).
    """
    rows = records.select(
        pl.col("retry_of").cast(pl.Int64),
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
    retried = pl.col("retry_of").is_not_null()
    fresh = rows.filter(~retried).drop("retry_of")
    again = rows.filter(retried)
    bulk_update(
        session,
        BronzeRecord,
        again.select(pl.col("retry_of").alias("id"), "status", "reasons", "lead_id"),
    )
    new_ids = bulk_insert(session, BronzeRecord, fresh, return_ids=want_ids)
    if not want_ids:
        return []
    ids = pl.Series("id", [None] * rows.height, dtype=pl.Int64)
    positions = rows.with_row_index("i")
    ids = ids.scatter(positions.filter(~retried)["i"], pl.Series(new_ids, dtype=pl.Int64))
    ids = ids.scatter(positions.filter(retried)["i"], again["retry_of"])
    return [int(i) for i in ids.to_list()]
