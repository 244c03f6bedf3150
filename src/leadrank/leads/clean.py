"""Clean a frame of canonical lead fields into silver columns, a quality score and its issues.

The one cleaning function behind `leadrank clean`, ingestion and (later) the API: columnar,
with the exact library code run once per distinct value where no vectorised rule exists.
"""

from __future__ import annotations

import polars as pl

from leadrank.leads.fields import CLEAN_FIELDS, LEAD_INPUT_FIELDS
from leadrank.normalize.country import clean_countries
from leadrank.normalize.dates import parse_datetimes, plausible
from leadrank.normalize.domain import clean_websites, registrable_domains
from leadrank.normalize.email import clean_emails
from leadrank.normalize.linkedin import canonical_company_urls, canonical_profile_urls
from leadrank.normalize.names import clean_names
from leadrank.normalize.numbers import clean_counts
from leadrank.normalize.phone import clean_phones
from leadrank.normalize.titles import clean_titles
from leadrank.normalize.values import blank_to_null

# What each part of a lead is worth to a sales team; the weights add up to 1.
QUALITY_WEIGHTS: dict[str, float] = {
    "email": 0.30,  # a reachable business address; free-mail or role addresses count half
    "name": 0.15,
    "company": 0.15,
    "job_title": 0.10,
    "phone": 0.10,
    "linkedin": 0.05,
    "country": 0.05,
    "employees": 0.05,
    "industry": 0.05,
}
# Issue codes, in the order they are listed on a row.
ISSUES: tuple[str, ...] = (
    "email_missing",
    "email_invalid",
    "email_free_mail",
    "email_disposable",
    "email_role",
    "phone_invalid",
    "name_missing",
    "title_missing",
    "company_missing",
    "country_unknown",
    "website_invalid",
    "linkedin_invalid",
    "employees_unparsed",
    "revenue_unparsed",
    "created_at_invalid",
)
_TEXT_FIELDS = (
    "company_name",
    "city",
    "state",
    "industry",
    "lead_source",
    "lead_status",
    "owner",
)


def _inputs(frame: pl.DataFrame, height: int) -> pl.DataFrame:
    """Every input field as a trimmed string column, placeholders ("Select", "N/A") as null."""
    present = [name for name in LEAD_INPUT_FIELDS if name in frame.columns]
    missing = [name for name in LEAD_INPUT_FIELDS if name not in frame.columns]
    nulls = pl.DataFrame({n: pl.Series([None] * height, dtype=pl.String) for n in missing})
    if not present:
        return nulls
    given = frame.select(blank_to_null(pl.col(n).cast(pl.String)).alias(n) for n in present)
    return pl.concat([given, nulls], how="horizontal") if missing else given


def clean_frame(frame: pl.DataFrame, *, height: int | None = None) -> pl.DataFrame:
    """The CLEAN_FIELDS columns for a frame whose columns are canonical input fields.

    `height` gives the row count when the frame has no columns at all (nothing was mapped).
    """
    rows = frame.height if frame.width else (height or 0)
    raw = _inputs(frame, rows)
    emails = clean_emails(raw["email"])
    countries = clean_countries(raw["country"])
    region = countries["country_code"]
    phone = clean_phones(raw["phone"], region)
    mobile = clean_phones(raw["mobile_phone"], region)
    websites = clean_websites(raw["website"])
    business_email = (
        pl.col("email_valid") & ~pl.col("email_free_mail") & ~pl.col("email_disposable")
    )
    email_host = emails.select(pl.when(business_email).then(pl.col("email_domain"))).to_series()
    names = clean_names(raw["first_name"], raw["last_name"], raw["full_name"])
    titles = clean_titles(raw["job_title"], raw["seniority"], raw["department"])
    employees = clean_counts(raw["employees"], "employees", integer=True)
    revenue = clean_counts(raw["revenue"], "revenue", integer=False)
    linkedin = canonical_profile_urls(raw["linkedin_url"])
    created = plausible(parse_datetimes(raw["created_at"])).alias("created_at")

    cleaned = pl.concat(
        [
            emails,
            phone.select("phone_e164"),
            names,
            titles,
            raw.select(
                pl.col(_TEXT_FIELDS).str.replace_all(r"\s+", " "),
            ),
            countries.select("country_code"),
            pl.DataFrame(
                {
                    "linkedin_url": linkedin,
                    "company_domain": websites["website_domain"].fill_null(
                        registrable_domains(email_host)
                    ),
                    "company_linkedin_url": canonical_company_urls(raw["company_linkedin_url"]),
                    "created_at": created,
                }
            ),
            employees.select("employees_min", "employees_max", "employees"),
            revenue.select("revenue_min", "revenue_max", "revenue"),
        ],
        how="horizontal",
    ).with_columns(pl.coalesce("phone_e164", mobile["phone_e164"]).alias("phone_e164"))

    flags = pl.DataFrame(
        {
            "email_missing": raw["email"].is_null(),
            "email_invalid": raw["email"].is_not_null() & ~emails["email_valid"],
            "email_free_mail": emails["email_free_mail"],
            "email_disposable": emails["email_disposable"],
            "email_role": emails["email_role"],
            "phone_invalid": (phone["phone_invalid"] | mobile["phone_invalid"])
            & cleaned["phone_e164"].is_null(),
            "name_missing": cleaned["full_name"].is_null(),
            "title_missing": cleaned["job_title"].is_null(),
            "company_missing": cleaned["company_name"].is_null()
            & cleaned["company_domain"].is_null(),
            "country_unknown": countries["country_unknown"],
            "website_invalid": websites["website_invalid"],
            "linkedin_invalid": raw["linkedin_url"].is_not_null() & linkedin.is_null(),
            "employees_unparsed": employees["employees_unparsed"],
            "revenue_unparsed": revenue["revenue_unparsed"],
            "created_at_invalid": raw["created_at"].is_not_null() & created.is_null(),
        }
    )
    issues = flags.select(
        pl.concat_list(pl.when(pl.col(code)).then(pl.lit(code)) for code in ISSUES)
        .list.drop_nulls()
        .alias("issues")
    )
    return (
        pl.concat([cleaned, issues], how="horizontal")
        .with_columns(quality_score_expr().alias("quality_score"))
        .select(CLEAN_FIELDS)
    )


def quality_score_expr() -> pl.Expr:
    """A 0-1 score: the weighted share of what makes a lead workable that this row has."""
    w = QUALITY_WEIGHTS
    reachable = pl.col("email_valid") & ~pl.col("email_disposable")
    half = pl.col("email_free_mail") | pl.col("email_role")
    email = pl.when(reachable & ~half).then(w["email"]).when(reachable).then(w["email"] / 2)
    present = {
        "name": pl.col("full_name"),
        "company": pl.coalesce("company_name", "company_domain"),
        "job_title": pl.col("job_title"),
        "phone": pl.col("phone_e164"),
        "linkedin": pl.col("linkedin_url"),
        "country": pl.col("country_code"),
        "employees": pl.col("employees").cast(pl.String),
        "industry": pl.col("industry"),
    }
    parts = [email.otherwise(0.0)] + [
        pl.when(expr.is_not_null()).then(w[name]).otherwise(0.0) for name, expr in present.items()
    ]
    return pl.sum_horizontal(parts).round(3)
