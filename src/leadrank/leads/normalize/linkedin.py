"""LinkedIn profile and company URLs in one canonical form, so they work as identity keys."""

from __future__ import annotations

import polars as pl

# Any country subdomain, with or without scheme, "www.", query strings or a trailing slash.
_PROFILE = r"linkedin\.com/(?:in|pub)/([^/?#\s]+)"
_COMPANY = r"linkedin\.com/(company|school|showcase)/([^/?#\s]+)"


def canonical_profile_urls(raw: pl.Series) -> pl.Series:
    """ "linkedin.com/in/Ada-Lovelace/?trk=x" -> "https://www.linkedin.com/in/ada-lovelace"."""
    slug = raw.str.to_lowercase().str.extract(_PROFILE, 1)
    return pl.select((pl.lit("https://www.linkedin.com/in/") + slug).alias("linkedin_url"))[
        "linkedin_url"
    ]


def canonical_company_urls(raw: pl.Series) -> pl.Series:
    """ "https://uk.linkedin.com/company/acme/about" -> "https://www.linkedin.com/company/acme"."""
    lowered = raw.str.to_lowercase()
    kind = lowered.str.extract(_COMPANY, 1)
    slug = lowered.str.extract(_COMPANY, 2)
    return pl.select(
        pl.format("https://www.linkedin.com/{}/{}", kind, slug).alias("company_linkedin_url")
    )["company_linkedin_url"]
