"""Merge cleaned rows into silver companies and leads: exact keys, per-field provenance,
and never an empty value over a filled one. Set-based: one lookup and one write per table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from leadrank.kit.bulk import bulk_insert, bulk_update, select_frame
from leadrank.kit.json_text import json_word_list
from leadrank.leads import repository
from leadrank.leads.company_resolution import NameMatches, company_matches
from leadrank.leads.company_reviews import queue_likely, remember_joins
from leadrank.leads.fields import COMPANY_COLUMNS, EMAIL_FLAGS, LEAD_COLUMNS
from leadrank.leads.identity import STRONG_KEYS, WEAK_KEYS, Key, lead_key_columns, resolve
from leadrank.leads.upsert_existing import (
    join_stored,
    merged_attributes,
    merged_field_columns,
    provenance_json,
    update_existing_leads,
)
from leadrank.matching.prepare import lead_blocks
from leadrank.orm import Company, Lead, LeadKey

# Cleaned column -> leads table column.


@dataclass(frozen=True)
class MergeResult:
    """What a merge did, and the lead each input row now belongs to."""

    lead_ids: list[int | None]
    created_ids: list[int]
    leads_created: int
    leads_updated: int
    companies_created: int


def merge_rows(
    session: Session, *, rows: pl.DataFrame, source: str, import_id: int, now: datetime
) -> MergeResult:
    """Merge cleaned, usable rows (with row_number, external_id, attributes, company_key)."""
    # Silver keeps only a valid email; the invalid text stays in bronze and in `issues`.
    rows = rows.with_columns(
        [pl.when(pl.col("email_valid")).then(pl.col(c)).alias(c) for c in EMAIL_FLAGS]
    ).with_columns(
        pl.format("[{},{}]", pl.lit(import_id), pl.col("row_number")).alias("_prov"),
        pl.col("employees", "employees_min", "employees_max").cast(pl.Int64),
    )
    rows, matches = _with_company_aliases(session, rows)
    company_ids, companies_created = _merge_companies(session, rows, now)
    remember_joins(session, matches.sure, now=now)
    queue_likely(session, matches.likely, now=now)
    rows = rows.with_columns(pl.Series("company_id", company_ids, dtype=pl.Int64))

    keys = lead_key_columns(rows, source)
    wanted = [
        (key_type, value)
        for key_type in STRONG_KEYS + WEAK_KEYS
        for value in keys[key_type].drop_nulls().unique().to_list()
    ]
    existing_keys = repository.find_lead_keys(session, wanted)
    resolution = resolve(keys, existing_keys, [True] * rows.height)
    rows = rows.with_columns(
        pl.Series("_group", resolution.group, dtype=pl.Int64),
        pl.Series("_existing", resolution.existing_lead, dtype=pl.Int64),
    )
    # Employees and industry ride along (no provenance) for the merged lead's quality score.
    merged = _aggregate(
        rows, [*list(LEAD_COLUMNS), "company_id"], carried=["employees", "industry"]
    )

    new = merged.filter(pl.col("_existing").is_null())
    old = merged.filter(pl.col("_existing").is_not_null())
    new_ids = bulk_insert(session, Lead, _new_lead_rows(new, source, now), return_ids=True)
    updated = update_existing_leads(
        session, old, names={**LEAD_COLUMNS, "company_id": "company_id"}, source=source, now=now
    )

    group_to_lead = dict(zip(new["_group"].to_list(), new_ids, strict=True))
    group_to_lead.update(zip(old["_group"].to_list(), old["_existing"].to_list(), strict=True))
    lead_ids = [group_to_lead[g] for g in resolution.group]
    _insert_new_keys(session, keys, lead_ids, existing_keys)
    return MergeResult(lead_ids, new_ids, len(new_ids), updated, companies_created)


def _aggregate(rows: pl.DataFrame, fields: list[str], *, carried: list[str]) -> pl.DataFrame:
    """One row per group: the last non-empty value of each field and where it came from, the
    last non-empty value of each carried column, and the best-quality row's score and issues."""
    best = pl.col("quality_score").fill_null(-1.0).arg_max()
    return rows.group_by("_group", maintain_order=True).agg(
        pl.col("_existing").drop_nulls().first(),
        *[pl.col(f).drop_nulls().last() for f in [*fields, *carried]],
        *[
            pl.col("_prov").filter(pl.col(f).is_not_null()).last().alias(f"_prov_{f}")
            for f in fields
        ],
        pl.col("quality_score").get(best),
        pl.col("issues").get(best),
        pl.col("attributes"),
    )


def _new_lead_rows(frame: pl.DataFrame, source: str, now: datetime) -> pl.DataFrame:
    fields = list(LEAD_COLUMNS)
    attributes = [
        parts[0] if len(parts) == 1 else json.dumps(merged_attributes(parts), ensure_ascii=False)
        for parts in frame["attributes"].to_list()
    ]
    stamp = pl.lit(now, dtype=pl.Datetime("us", "UTC"))
    return frame.select(
        *[pl.col(c).alias(LEAD_COLUMNS[c]) for c in fields],
        "company_id",
        "quality_score",
        json_word_list(pl.col("issues")).alias("issues"),
        pl.Series("attributes", attributes, dtype=pl.String),
        provenance_json(frame, {**LEAD_COLUMNS, "company_id": "company_id"}),
        pl.lit(json.dumps([source], ensure_ascii=False)).alias("sources"),
        lead_blocks(
            frame["first_name"], frame["last_name"], frame["company_id"], frame["country_code"]
        ),
        stamp.alias("created_at"),
        stamp.alias("updated_at"),
    )


def _insert_new_keys(
    session: Session, keys: pl.DataFrame, lead_ids: list[int | None], existing: dict[Key, int]
) -> None:
    """Register every key a lead now has that no lead owned before (first claim wins)."""
    known = pl.DataFrame(
        [(t, v) for t, v in existing],
        schema={"key_type": pl.String, "key_value": pl.String},
        orient="row",
    )
    new_keys = (
        keys.with_columns(pl.Series("lead_id", lead_ids, dtype=pl.Int64))
        .filter(pl.col("lead_id").is_not_null())
        .unpivot(
            index="lead_id",
            on=list(STRONG_KEYS + WEAK_KEYS),
            variable_name="key_type",
            value_name="key_value",
        )
        .filter(pl.col("key_value").is_not_null())
        .unique(["key_type", "key_value"], keep="first", maintain_order=True)
        .join(known, on=["key_type", "key_value"], how="anti")
        .select("lead_id", "key_type", "key_value")
        # In index order: SQLite then appends to B-tree pages instead of splitting random ones.
        .sort("key_type", "key_value")
    )
    bulk_insert(session, LeadKey, new_keys)


def _with_company_aliases(session: Session, rows: pl.DataFrame) -> tuple[pl.DataFrame, NameMatches]:
    """A row that names a company folded into another joins that one; a row that names a
    company without its domain joins the one company of that name that has a domain (in this
    batch, else stored), else a stored company of the same organisation written another way
    (`company_resolution`), so one organisation stays one company. Also those name matches,
    sure and likely."""
    folded = repository.find_company_aliases(
        session, rows["company_key"].drop_nulls().unique().to_list()
    )
    if folded:
        rows = rows.with_columns(pl.col("company_key").replace(folded))
    named = (
        pl.col("company_key").str.starts_with("name:") & pl.col("company_name_key").is_not_null()
    )
    if rows.filter(named).is_empty():
        return rows, NameMatches([], [])
    by_domain = (
        rows.filter(pl.col("company_key").str.starts_with("domain:"))
        .group_by("company_name_key")
        .agg(pl.col("company_key").unique())
        .filter(pl.col("company_key").list.len() == 1)
    )
    aliases = dict(
        zip(
            by_domain["company_name_key"].to_list(),
            by_domain["company_key"].list.first().to_list(),
            strict=True,
        )
    )
    wanted = [
        k for k in rows.filter(named)["company_name_key"].unique().to_list() if k not in aliases
    ]
    aliases.update(repository.find_domain_companies_by_name(session, wanted))
    rows = rows.with_columns(
        pl.when(named & pl.col("company_name_key").is_in(list(aliases)))
        .then(
            pl.col("company_name_key").replace_strict(aliases, default=None, return_dtype=pl.String)
        )
        .otherwise(pl.col("company_key"))
        .alias("company_key")
    )
    # Names no company carries yet may be a stored company written another way.
    matches = company_matches(session, rows)
    if matches.sure:
        rows = rows.with_columns(pl.col("company_key").replace(matches.keys()))
    return rows, matches


def _adoptions(session: Session, merged: pl.DataFrame, existing: dict[str, int]) -> dict[str, int]:
    """New domain keys whose company is already stored under its name alone: that company
    takes the domain key (one organisation stays one company)."""
    candidates = merged.filter(
        pl.col("company_key").str.starts_with("domain:")
        & ~pl.col("company_key").is_in(list(existing))
        & pl.col("company_name_key").is_not_null()
    )
    unique = candidates.filter(pl.col("company_name_key").is_unique())
    if unique.is_empty():
        return {}
    named = repository.find_company_ids(
        session, [f"name:{key}" for key in unique["company_name_key"].to_list()]
    )
    return {
        domain_key: named[f"name:{name_key}"]
        for domain_key, name_key in unique.select("company_key", "company_name_key").iter_rows()
        if f"name:{name_key}" in named
    }


def _merge_companies(
    session: Session, rows: pl.DataFrame, now: datetime
) -> tuple[list[int | None], int]:
    fields = list(COMPANY_COLUMNS)
    with_key = rows.filter(pl.col("company_key").is_not_null())
    if with_key.is_empty():
        return [None] * rows.height, 0
    merged = with_key.group_by("company_key", maintain_order=True).agg(
        *[pl.col(f).drop_nulls().last() for f in fields],
        *[
            pl.col("_prov").filter(pl.col(f).is_not_null()).last().alias(f"_prov_{f}")
            for f in fields
        ],
    )
    existing = repository.find_company_ids(session, merged["company_key"].to_list())
    existing.update(_adoptions(session, merged, existing))
    new = merged.filter(~pl.col("company_key").is_in(list(existing)))
    stamp = pl.lit(now, dtype=pl.Datetime("us", "UTC"))
    body = new.select(
        *[pl.col(f).alias(COMPANY_COLUMNS[f]) for f in fields],
        pl.col("company_key").alias("match_key"),
        provenance_json(new, COMPANY_COLUMNS),
        stamp.alias("created_at"),
        stamp.alias("updated_at"),
    )
    ids = bulk_insert(session, Company, body, return_ids=True)
    key_to_id = {**existing, **dict(zip(new["company_key"].to_list(), ids, strict=True))}

    known = merged.filter(pl.col("company_key").is_in(list(existing))).with_columns(
        pl.col("company_key").replace_strict(existing, return_dtype=pl.Int64).alias("_existing")
    )
    if not known.is_empty():
        columns = list(COMPANY_COLUMNS.values())
        stored = select_frame(
            session, Company, known["_existing"].to_list(), ["id", *columns, "provenance"]
        )
        joined = join_stored(known, stored, "_existing")
        bulk_update(
            session,
            Company,
            joined.select(
                pl.col("_existing").alias("id"),
                pl.col("company_key").alias("match_key"),
                *merged_field_columns(COMPANY_COLUMNS, stored.schema),
                stamp.alias("updated_at"),
            ),
        )
    ids_per_row = [
        key_to_id.get(k) if k is not None else None for k in rows["company_key"].to_list()
    ]
    return ids_per_row, len(ids)
