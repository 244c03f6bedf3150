"""Company domains: the registrable domain of a website or email host, offline."""

from __future__ import annotations

from functools import cache, lru_cache

import polars as pl
import tldextract

from leadrank.normalize.values import CACHE_SIZE, map_distinct

# Hosts that are not a company's own site even though people paste them in the website column.
NOT_COMPANY_SITES = frozenset(
    {"linkedin.com", "facebook.com", "twitter.com", "x.com", "instagram.com", "google.com",
     "youtube.com", "github.com", "crunchbase.com", "wikipedia.org", "bit.ly"}
)  # fmt: skip


MAX_DOMAIN_CHARS = 253  # the longest name DNS allows


@cache
def _extractor() -> tldextract.TLDExtract:
    # The suffix list bundled with tldextract; never fetched, never cached to disk.
    # Private suffixes too, so that "acme.github.io" and "shop.myshopify.com" stay two sites of
    # their own rather than becoming github.io and myshopify.com.
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


def host_of(text: str) -> str:
    """The host part of a URL, email or bare domain, lower-cased."""
    value = text.strip().lower()
    if "://" in value:
        # A URL: the host is in its authority, before any path, query ("?ref=a@b.com") or
        # fragment, after any user name.
        value = value.split("://", 1)[1]
        for separator in "/?#":
            value = value.split(separator, 1)[0]
        value = value.rpartition("@")[2]
    else:
        value = value.rpartition("@")[2]
        for separator in "/?#":
            value = value.split(separator, 1)[0]
    return value.rsplit(":", 1)[0].strip(".") if value.count(":") == 1 else value.strip(".")


@lru_cache(maxsize=CACHE_SIZE)
def registrable_domain(text: str | None) -> str | None:
    """ "www.shop.acme.co.uk/about" -> "acme.co.uk"; None for what has no public suffix."""
    if text is None or not text.strip():
        return None
    host = host_of(text)
    if not host or " " in host:
        return None
    parts = _extractor()(host)
    if not parts.domain or not parts.suffix:
        return None
    domain = f"{parts.domain}.{parts.suffix}"
    return domain if len(domain) <= MAX_DOMAIN_CHARS else None


def clean_websites(raw: pl.Series) -> pl.DataFrame:
    """Columns website_domain (registrable, social sites dropped) and website_invalid."""
    found = map_distinct(raw, lambda v: (registrable_domain(v),), {"domain": pl.String})
    domain = found["domain"]
    usable = pl.when(~domain.is_in(list(NOT_COMPANY_SITES))).then(domain)
    return pl.DataFrame({"domain": domain}).select(
        usable.alias("website_domain"),
        (raw.is_not_null() & domain.is_null()).alias("website_invalid"),
    )


def registrable_domains(hosts: pl.Series) -> pl.Series:
    """The registrable domain of each host (email domains), computed once per distinct host."""
    return map_distinct(hosts, lambda v: (registrable_domain(v),), {"domain": pl.String})["domain"]
