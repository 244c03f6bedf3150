"""Lead files: clean each chunk of new records, merge the usable rows into silver, and keep
every record in bronze with its status."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from leadrank.ingest import bronze
from leadrank.ingest.schemas import IngestReport
from leadrank.kit.json_text import json_word_list
from leadrank.kit.raw_tables import EXTRA_FIELDS_COLUMN
from leadrank.leads.clean import clean_frame
from leadrank.leads.column_mapping import ColumnMapping, apply_mapping, attributes_json
from leadrank.leads.fields import LEAD_INPUT_FIELDS
from leadrank.leads.identity import company_match_keys, usable_record_id
from leadrank.leads.resolution import resolve_new_leads
from leadrank.leads.upsert import merge_rows


def usable_identity() -> pl.Expr:
    """A row can become a lead when something identifies the person."""
    present = pl.col("linkedin_url", "phone_e164", "external_id").is_not_null()
    named_at_company = pl.col("full_name").is_not_null() & (
        pl.col("company_name").is_not_null() | pl.col("company_domain").is_not_null()
    )
    return pl.col("email_valid").fill_null(False) | pl.any_horizontal(present) | named_at_company


def prepare_lead_chunk(chunk: pl.DataFrame, *, mapping: ColumnMapping) -> pl.DataFrame:
    """Clean a chunk of new records and decide which can become leads (no database)."""
    canonical = apply_mapping(chunk, mapping)
    cleaned = clean_frame(
        canonical.select([c for c in canonical.columns if c in LEAD_INPUT_FIELDS]),
        height=chunk.height,
    )
    external = (
        canonical.select(usable_record_id(pl.col("external_id")).alias("external_id")).to_series()
        if "external_id" in canonical.columns
        else pl.Series("external_id", [None] * chunk.height, dtype=pl.String)
    )
    extra = (
        chunk[EXTRA_FIELDS_COLUMN]
        if EXTRA_FIELDS_COLUMN in chunk.columns
        else pl.Series([None] * chunk.height, dtype=pl.String)
    )
    rows = cleaned.with_columns(
        external.alias("external_id"),
        chunk["row_number"],
        attributes_json(chunk, mapping),
        extra.alias("_extra"),
    )
    rows = rows.with_columns(*company_match_keys(rows), usable_identity().alias("_identity"))
    rows = rows.with_columns(
        (pl.col("_identity") & pl.col("_extra").is_null()).alias("_usable"),
        _quarantine_reasons().alias("_reasons"),
    )
    return rows


def load_lead_chunk(
    session: Session,
    chunk: pl.DataFrame,
    rows: pl.DataFrame,
    *,
    source: str,
    import_id: int | None,
    file_name: str,
    now: datetime,
    dry_run: bool,
    report: IngestReport,
) -> None:
    """Merge a prepared chunk's usable rows into leads; every record into bronze."""
    for issues in rows["issues"].to_list():
        report.issues.update(issues)
    usable = rows.filter(pl.col("_usable"))
    quarantined = rows.filter(~pl.col("_usable"))
    report.rows_quarantined += quarantined.height
    for reasons in quarantined["_reasons"].to_list():
        report.quarantine_reasons.update(json.loads(reasons))
    if dry_run or import_id is None:
        return

    result = merge_rows(session, rows=usable, source=source, import_id=import_id, now=now)
    report.leads_created += result.leads_created
    report.leads_updated += result.leads_updated
    report.companies_created += result.companies_created
    lead_ids = pl.Series("lead_id", [None] * rows.height, dtype=pl.Int64)
    lead_ids = (
        lead_ids.scatter(
            rows.with_row_index().filter(pl.col("_usable"))["index"],
            pl.Series(result.lead_ids, dtype=pl.Int64),
        )
        if usable.height
        else lead_ids
    )
    records = chunk.select("row_number", "content_hash", "payload", "retry_of").with_columns(
        pl.when(rows["_usable"])
        .then(pl.lit("loaded"))
        .otherwise(pl.lit("quarantined"))
        .alias("status"),
        pl.when(rows["_usable"]).then(None).otherwise(rows["_reasons"]).alias("reasons"),
        lead_ids,
    )
    bronze.write_bronze(
        session,
        records,
        import_id=import_id,
        kind="leads",
        source=source,
        file_name=file_name,
        received_at=now,
        want_ids=False,
    )
    # After bronze: a merge moves the merged lead's records along with it.
    outcome = resolve_new_leads(session, lead_ids=result.created_ids, now=now)
    report.leads_merged += outcome.merged
    report.pairs_to_review += outcome.queued_for_review


def _quarantine_reasons() -> pl.Expr:
    """JSON list of why a row cannot become a lead (the reasons are our own quote-free words)."""
    listed = pl.concat_list(
        pl.when(pl.col("_extra").is_not_null()).then(
            pl.lit("extra_fields: the row has more fields than the header")
        ),
        pl.when(~pl.col("_identity")).then(
            pl.lit(
                "no_identity: no valid email, LinkedIn URL, phone, record id, or name with company"
            )
        ),
        pl.when(pl.col("issues").list.contains("email_invalid")).then(pl.lit("email_invalid")),
        pl.when(pl.col("issues").list.contains("phone_invalid")).then(pl.lit("phone_invalid")),
    ).list.drop_nulls()
    return json_word_list(listed)
