"""Events into silver: find each event's lead by its keys, create a lead for a new email, and
keep the rest in quarantine with the reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
from sqlalchemy.orm import Session

from leadrank.ingest import bronze
from leadrank.ingest.schemas import IngestReport
from leadrank.kit.bulk import bulk_insert, lookup_in
from leadrank.kit.json_text import json_word_list
from leadrank.leads import repository
from leadrank.leads.clean import clean_frame
from leadrank.leads.column_mapping import ColumnMapping, apply_mapping, attributes_json
from leadrank.leads.header_synonyms import EVENT_TYPE_SYNONYMS, header_key, snake_case
from leadrank.leads.identity import company_match_keys, usable_record_id
from leadrank.leads.upsert import merge_rows
from leadrank.normalize.dates import implausible, parse_datetimes
from leadrank.normalize.email import clean_emails
from leadrank.normalize.linkedin import canonical_profile_urls
from leadrank.normalize.phone import clean_phones
from leadrank.normalize.values import blank_to_null
from leadrank.orm import Event
from leadrank.orm.event import EVENT_KEY_CHARS

# Lead keys an event can carry, in the order they are trusted.
EVENT_KEYS = ("email", "linkedin", "ext", "phone")


MAX_TYPE_CHARS = 64  # the width of events.event_type
REUSED_KEY = json.dumps(["event_id_reused: another lead's event has this id"])


def event_type_of(raw: str | None) -> str | None:
    """The standard type a vendor's event name means, else the name as snake_case."""
    if raw is None:
        return None
    standard = EVENT_TYPE_SYNONYMS.get(header_key(raw))
    return standard or snake_case(raw)[:MAX_TYPE_CHARS].strip("_") or None


def load_event_chunk(
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
    """Load one prepared chunk of new event records into bronze and events."""
    existing = repository.find_lead_keys(
        session,
        [(t, v) for t in EVENT_KEYS for v in rows[t].drop_nulls().unique().to_list()],
    )
    rows = rows.with_columns(_lead_of(existing))
    if not dry_run and import_id is not None:
        rows = _create_leads_for_new_emails(session, rows, source, import_id, now, report)
    else:
        rows = _as_if_leads_were_created(rows, report)
    rows = rows.with_columns(_reasons().alias("reasons"))
    rows = rows.with_columns(
        pl.when(pl.col("reasons").is_null())
        .then(pl.lit("loaded"))
        .otherwise(pl.lit("quarantined"))
        .alias("status")
    )
    rows = _mark_repeated(session, rows, source)
    report.rows_quarantined += int((rows["status"] == "quarantined").sum())
    report.events_repeated += int((rows["status"] == "repeated").sum())
    for reasons in rows["reasons"].drop_nulls().to_list():
        report.quarantine_reasons.update(json.loads(reasons))
    if dry_run or import_id is None:
        return

    records = rows.select(
        "row_number", "content_hash", "payload", "status", "reasons", "lead_id", "retry_of"
    )
    record_ids = bronze.write_bronze(
        session,
        records,
        import_id=import_id,
        kind="events",
        source=source,
        file_name=file_name,
        received_at=now,
        want_ids=True,
    )
    events = (
        rows.with_columns(pl.Series("record_id", record_ids, dtype=pl.Int64))
        .filter(pl.col("status") == "loaded")
        .select("lead_id", "event_type", "occurred_at", "properties", "record_id", "event_key")
        .with_columns(pl.lit(source).alias("source"))
    )
    bulk_insert(session, Event, events)
    report.events_created += events.height


def prepare_event_chunk(
    chunk: pl.DataFrame, *, mapping: ColumnMapping, source: str
) -> pl.DataFrame:
    """Each event's cleaned lead keys, standard type, time and properties (no database)."""
    canonical = apply_mapping(chunk, mapping)

    def column(name: str) -> pl.Series:
        if name in canonical.columns:
            return canonical[name]
        return pl.Series(name, [None] * chunk.height, dtype=pl.String)

    # Only the identity keys are cleaned here: an event names a lead, it does not describe one.
    raw = pl.DataFrame([column(n) for n in ("email", "linkedin_url", "phone")]).select(
        blank_to_null(pl.col(n)).alias(n) for n in ("email", "linkedin_url", "phone")
    )
    emails = clean_emails(raw["email"])
    phones = clean_phones(raw["phone"], pl.Series([None] * raw.height, dtype=pl.String))
    raw_types = column("event_type")
    type_map = {t: event_type_of(t) for t in raw_types.unique().drop_nulls().to_list()}
    return (
        pl.DataFrame(
            [
                chunk["row_number"],
                chunk["content_hash"],
                chunk["payload"],
                chunk["retry_of"],
                emails["email"],
                emails["email_valid"],
                canonical_profile_urls(raw["linkedin_url"]).alias("linkedin"),
                phones["phone_e164"].alias("phone"),
                column("external_id")
                .to_frame()
                .select(usable_record_id(pl.col("external_id")).alias("external_id"))
                .to_series(),
                column("event_id")
                .to_frame()
                .select(usable_record_id(pl.col("event_id")).alias("event_key"))
                .to_series(),
                raw_types.replace_strict(type_map, default=None, return_dtype=pl.String).alias(
                    "event_type"
                ),
                column("occurred_at").alias("raw_time"),
                parse_datetimes(column("occurred_at")).alias("occurred_at"),
                attributes_json(chunk, mapping).alias("properties"),
            ]
        )
        .with_columns(
            implausible(pl.col("occurred_at"), datetime.now(UTC)).fill_null(False).alias("far_off")
        )
        .with_columns(
            pl.when(~pl.col("far_off")).then(pl.col("occurred_at")).alias("occurred_at"),
        )
        .with_columns(
            pl.when(pl.col("email_valid")).then(pl.col("email")).alias("email"),
            (pl.lit(f"{source}:") + pl.col("external_id")).alias("ext"),
        )
    )


def _lead_of(existing: dict[tuple[str, str], int]) -> pl.Expr:
    """The lead of each row: the first key, in trust order, that a lead owns."""
    hits = []
    for key_type in EVENT_KEYS:
        owned = {v: lead for (t, v), lead in existing.items() if t == key_type}
        hits.append(pl.col(key_type).replace_strict(owned, default=None, return_dtype=pl.Int64))
    return pl.coalesce(hits).alias("lead_id")


def _needs_new_lead() -> pl.Expr:
    """An event with a valid email nobody owns, and a type and time: its email becomes a lead."""
    return (
        pl.col("lead_id").is_null()
        & pl.col("email").is_not_null()
        & pl.col("event_type").is_not_null()
        & pl.col("occurred_at").is_not_null()
    )


def _as_if_leads_were_created(rows: pl.DataFrame, report: IngestReport) -> pl.DataFrame:
    """For a dry run: count the leads a real run would create, and do not quarantine their
    events (a placeholder lead id of -1 stands in for the lead)."""
    wanted = _needs_new_lead()
    report.leads_created += rows.filter(wanted)["email"].n_unique()
    return rows.with_columns(pl.when(wanted).then(-1).otherwise("lead_id").alias("lead_id"))


def _create_leads_for_new_emails(
    session: Session,
    rows: pl.DataFrame,
    source: str,
    import_id: int,
    now: datetime,
    report: IngestReport,
) -> pl.DataFrame:
    """A valid email nobody owns yet becomes a new lead: campaign tools send events for people
    the workspace may not have imported."""
    wanted = rows.filter(_needs_new_lead())
    if wanted.is_empty():
        return rows
    first = wanted.unique("email", keep="first", maintain_order=True)
    cleaned = clean_frame(first.select("email"))
    cleaned = cleaned.with_columns(
        first["row_number"],
        pl.lit(None, dtype=pl.String).alias("external_id"),
        pl.lit("{}").alias("attributes"),
    )
    cleaned = cleaned.with_columns(*company_match_keys(cleaned))
    result = merge_rows(session, rows=cleaned, source=source, import_id=import_id, now=now)
    report.leads_created += result.leads_created
    report.companies_created += result.companies_created
    created = dict(zip(first["email"].to_list(), result.lead_ids, strict=True))
    return rows.with_columns(
        pl.coalesce(
            pl.col("lead_id"),
            pl.col("email").replace_strict(created, default=None, return_dtype=pl.Int64),
        ).alias("lead_id")
    )


def _mark_repeated(session: Session, rows: pl.DataFrame, source: str) -> pl.DataFrame:
    """Events whose key this source already gave an event of the same lead (earlier, or in
    an earlier row here) become "repeated": kept in bronze as received, and not stored as
    events again. A key another lead's event holds names no single event: quarantined."""
    keyed = (pl.col("status") == "loaded") & pl.col("event_key").is_not_null()
    rows = rows.with_row_index("position")
    candidates = rows.filter(keyed)
    if candidates.is_empty():
        return rows.drop("position")
    known = lookup_in(
        session,
        table="events",
        select=["event_key", "lead_id"],
        column="event_key",
        values=sorted(candidates["event_key"].unique().to_list()),
        where={"source": source},
    )
    owners: dict[str, int] = dict(known)
    firsts = candidates.filter(~pl.col("event_key").is_in(list(owners))).unique(
        "event_key", keep="first", maintain_order=True
    )
    owners.update(zip(firsts["event_key"].to_list(), firsts["lead_id"].to_list(), strict=True))
    owner = pl.col("event_key").replace_strict(owners, default=None, return_dtype=pl.Int64)
    later = keyed & ~pl.col("position").is_in(firsts["position"].to_list())
    reused = later & (owner != pl.col("lead_id"))
    return rows.with_columns(
        pl.when(reused)
        .then(pl.lit("quarantined"))
        .when(later)
        .then(pl.lit("repeated"))
        .otherwise(pl.col("status"))
        .alias("status"),
        pl.when(reused).then(pl.lit(REUSED_KEY)).otherwise(pl.col("reasons")).alias("reasons"),
    ).drop("position")


def _reasons() -> pl.Expr:
    """JSON list of why an event cannot be loaded, or null when it can."""
    listed = pl.concat_list(
        pl.when(pl.col("event_type").is_null()).then(pl.lit("event_type_missing")),
        pl.when(pl.col("raw_time").is_null()).then(pl.lit("occurred_at_missing")),
        pl.when(
            pl.col("raw_time").is_not_null() & pl.col("occurred_at").is_null() & ~pl.col("far_off")
        ).then(pl.lit("occurred_at_invalid")),
        pl.when(pl.col("far_off")).then(
            pl.lit("occurred_at_implausible: before 1970 or more than a day ahead")
        ),
        pl.when(pl.col("lead_id").is_null()).then(
            pl.lit("no_lead: no known lead and no valid email")
        ),
        pl.when(pl.col("event_key").str.len_chars() > EVENT_KEY_CHARS).then(
            pl.lit(f"event_id_too_long: over {EVENT_KEY_CHARS} characters")
        ),
    ).list.drop_nulls()
    return pl.when(listed.list.len() > 0).then(json_word_list(listed))
