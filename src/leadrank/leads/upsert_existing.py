"""Merge aggregated rows into leads that already exist, column by column.

The rules are those of a new lead: a non-empty value replaces the stored one (never the other
way round), each value remembers the import and row it came from, attributes are unioned, the
quality score is recomputed from the merged fields (never lowered), and the source joins the
lead's sources.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from leadrank.kit.bulk import bulk_update, select_frame
from leadrank.kit.json_text import json_word_list
from leadrank.leads.clean import quality_score_expr
from leadrank.matching.prepare import lead_blocks
from leadrank.orm import Lead

PROVENANCE_TYPE = pl.List(pl.Int64)


def provenance_json(frame: pl.DataFrame, names: dict[str, str]) -> pl.Series:
    """Per row, the JSON object column -> [import_id, row_number] for each `_prov_<field>` set.

    `names` maps each field to the lead column it is stored in.
    """
    pieces = [
        pl.when(pl.col(f"_prov_{field}").is_not_null()).then(
            pl.format('"{}":{}', pl.lit(column), pl.col(f"_prov_{field}"))
        )
        for field, column in names.items()
    ]
    return frame.select(
        pl.concat_str(
            pl.lit("{"), pl.concat_list(pieces).list.drop_nulls().list.join(","), pl.lit("}")
        ).alias("provenance")
    ).to_series()


def merged_attributes(parts: list[str]) -> dict[str, Any]:
    """The union of JSON objects, later ones winning."""
    merged: dict[str, Any] = {}
    for text in parts:
        merged.update(json.loads(text))
    return merged


def merged_field_columns(
    names: dict[str, str], schema: pl.Schema | dict[str, pl.DataType]
) -> list[pl.Expr]:
    """Per stored column: the batch's value when it has one, else the stored one (`_old_<c>`);
    and the provenance, likewise field by field."""
    old_provenance = pl.col("_old_provenance").str.json_decode(
        pl.Struct(dict.fromkeys(names.values(), PROVENANCE_TYPE))
    )
    provenance = pl.struct(
        pl.coalesce(
            pl.col(f"_prov_{field}").str.json_decode(PROVENANCE_TYPE),
            old_provenance.struct.field(column),
        ).alias(column)
        for field, column in names.items()
    ).struct.json_encode()
    return [
        *[
            pl.coalesce(pl.col(field).cast(schema[column]), f"_old_{column}").alias(column)
            for field, column in names.items()
        ],
        _without_nulls(provenance).alias("provenance"),
    ]


def join_stored(frame: pl.DataFrame, stored: pl.DataFrame, on: str) -> pl.DataFrame:
    """The batch rows beside their stored rows, stored columns prefixed `_old_`."""
    return frame.join(
        stored.rename({c: f"_old_{c}" for c in stored.columns if c != "id"}),
        left_on=on,
        right_on="id",
        how="left",
        maintain_order="left",
    )


def update_existing_leads(
    session: Session,
    frame: pl.DataFrame,
    *,
    names: dict[str, str],
    source: str,
    now: datetime,
) -> int:
    """Apply one aggregated row per existing lead (`_existing` holds its id); returns the count."""
    if frame.is_empty():
        return 0
    columns = list(names.values())
    stored = select_frame(
        session,
        Lead,
        frame["_existing"].to_list(),
        ["id", *columns, "quality_score", "issues", "attributes", "provenance", "sources"],
    )
    joined = join_stored(frame, stored, "_existing")
    better = pl.col("quality_score").fill_null(0) > pl.col("_old_quality_score").fill_null(0)
    chosen = joined.select(
        pl.col("_existing").alias("id"),
        *merged_field_columns(names, stored.schema),
        pl.when(better)
        .then("quality_score")
        .otherwise("_old_quality_score")
        .alias("quality_score"),
        pl.when(better)
        .then(json_word_list(pl.col("issues")))
        .otherwise("_old_issues")
        .alias("issues"),
        _attributes(joined),
        _sources(joined["_old_sources"], source),
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("updated_at"),
    )
    chosen = chosen.with_columns(
        lead_blocks(
            chosen["first_name"], chosen["last_name"], chosen["company_id"], chosen["country_code"]
        )
    )
    return bulk_update(session, Lead, _rescored(chosen, joined))


def _rescored(chosen: pl.DataFrame, joined: pl.DataFrame) -> pl.DataFrame:
    """The merged lead's quality from its merged fields (never below what it had), and its
    issues without those the merged fields settle (an email now known is no longer missing)."""
    merged = chosen.with_columns(joined["employees"], joined["industry"])
    recomputed = merged.select(quality_score_expr()).to_series()
    issues = [
        json.dumps(reconciled_issues(json.loads(text or "[]"), row))
        for text, row in zip(chosen["issues"].to_list(), chosen.iter_rows(named=True), strict=True)
    ]
    return chosen.with_columns(
        pl.max_horizontal(pl.col("quality_score"), recomputed).alias("quality_score"),
        pl.Series("issues", issues, dtype=pl.String),
    )


# Issue code -> the lead column whose value settles it.
_SETTLED_BY = {
    "email_missing": "email",
    "email_invalid": "email",
    "name_missing": "full_name",
    "title_missing": "job_title",
    "phone_invalid": "phone_e164",
    "country_unknown": "country_code",
    "linkedin_invalid": "linkedin_url",
}
_EMAIL_KINDS = ("email_free_mail", "email_disposable", "email_role")


def reconciled_issues(issues: list[str], lead: dict[str, Any]) -> list[str]:
    """The lead's issues without those its fields now settle, and its mailbox kind as now."""
    company_known = lead["company_name"] is not None or lead["company_domain"] is not None
    kept = [
        code
        for code in issues
        if code not in _EMAIL_KINDS
        and (code not in _SETTLED_BY or lead[_SETTLED_BY[code]] is None)
        and not (code == "company_missing" and company_known)
    ]
    # What kind of mailbox it is follows the email the lead now has.
    return kept + [code for code in _EMAIL_KINDS if lead[code]]


def _attributes(joined: pl.DataFrame) -> pl.Series:
    """Stored attributes with this batch's on top; the JSON work only where something is new."""
    stored = joined["_old_attributes"].to_list()
    merged = []
    for old, parts in zip(stored, joined["attributes"].to_list(), strict=True):
        fresh = [p for p in parts if p != "{}"]
        if not fresh:
            merged.append(old)
            continue
        combined = {**json.loads(old or "{}"), **merged_attributes(fresh)}
        merged.append(json.dumps(combined, ensure_ascii=False))
    return pl.Series("attributes", merged, dtype=pl.String)


def _sources(stored: pl.Series, source: str) -> pl.Series:
    """Each lead's list of sources with this one added once (decoded: the stored text may be
    escaped differently from ours)."""
    merged = []
    for text in stored.to_list():
        listed = json.loads(text or "[]")
        merged.append(
            text if source in listed else json.dumps([*listed, source], ensure_ascii=False)
        )
    return pl.Series("sources", merged, dtype=pl.String)


def _without_nulls(encoded: pl.Expr) -> pl.Expr:
    # Struct encoding writes absent fields as null; provenance lists only the fields it has.
    return encoded.str.replace_all(r',"[a-z0-9_]+":null', "").str.replace(
        r'^\{"[a-z0-9_]+":null,?', "{"
    )
