"""LinkedIn profile and company URLs in one canonical form, so they work as identity keys."""

from __future__ import annotations

import polars as pl

# Any country subdomain, with or without scheme, "www.", query strings or a trailing slash;
# the host must be linkedin.com itself, not "notlinkedin.com".
_HOST = r"(?:^|[/.])linkedin\.com/"
_PROFILE = _HOST + r"in/([^/?#\s]+)"
# Old public profiles ("/pub/ada-lovelace/1/2/3") are told apart only by their whole path.
_PUBLIC = _HOST + r"(pub/[^?#\s]*[^/?#\s])"
_COMPANY = _HOST + r"(company|school|showcase)/([^/?#\s]+)"


def canonical_profile_urls(raw: pl.Series) -> pl.Series:
    """ "linkedin.com/in/Ada-Lovelace/?trk=x" -> "https://www.linkedin.com/in/ada-lovelace"."""
    lowered = raw.str.to_lowercase()
    path = pl.coalesce(
        pl.lit("in/") + lowered.str.extract(_PROFILE, 1), lowered.str.extract(_PUBLIC, 1)
    )
    return pl.select((pl.lit("https://www.linkedin.com/") + path).alias("linkedin_url"))[
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
