"""Countries to ISO 3166-1 alpha-2 from names, codes, local names and common variants."""

from __future__ import annotations

from functools import cache, lru_cache

import polars as pl
import pycountry

from leadrank.normalize.values import CACHE_SIZE, fold, map_distinct

# Spellings people and vendors use that ISO's English names and codes do not cover.
VARIANTS: dict[str, str] = {
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "us of a": "US", "america": "US",
    "united states of america": "US", "the united states": "US", "estados unidos": "US",
    "etats-unis": "US", "vereinigte staaten": "US",
    "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "the united kingdom": "GB",
    "großbritannien": "GB", "grossbritannien": "GB", "royaume-uni": "GB", "reino unido": "GB",
    "vereinigtes königreich": "GB",
    "deutschland": "DE", "allemagne": "DE", "alemania": "DE", "germania": "DE",
    "frankreich": "FR", "francia": "FR",
    "españa": "ES", "spanien": "ES", "espagne": "ES",
    "italia": "IT", "italien": "IT", "italie": "IT",
    "nederland": "NL", "holland": "NL", "the netherlands": "NL", "niederlande": "NL",
    "pays-bas": "NL",
    "schweiz": "CH", "suisse": "CH", "svizzera": "CH",
    "österreich": "AT", "belgië": "BE", "belgique": "BE", "belgien": "BE",
    "sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI", "éire": "IE",
    "polska": "PL", "česko": "CZ", "czech republic": "CZ", "türkiye": "TR", "turkey": "TR",
    "brasil": "BR", "méxico": "MX", "perú": "PE",
    "russia": "RU", "россия": "RU", "south korea": "KR", "korea": "KR",
    "republic of korea": "KR", "north korea": "KP", "taiwan": "TW", "vietnam": "VN",
    "iran": "IR", "syria": "SY", "laos": "LA", "bolivia": "BO", "venezuela": "VE",
    "tanzania": "TZ", "moldova": "MD", "ivory coast": "CI", "cote d'ivoire": "CI",
    "uae": "AE", "u.a.e.": "AE", "emirates": "AE", "ksa": "SA", "hong kong sar": "HK",
    "macau": "MO", "palestine": "PS", "vatican": "VA", "the bahamas": "BS", "the gambia": "GM",
    "prc": "CN", "mainland china": "CN", "nippon": "JP", "bharat": "IN",
    "kingdom of saudi arabia": "SA", "czechia": "CZ", "macedonia": "MK", "burma": "MM",
    "cape verde": "CV", "swaziland": "SZ", "east timor": "TL", "micronesia": "FM",
}  # fmt: skip


@cache
def _lookup_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for country in pycountry.countries:
        code = str(country.alpha_2)
        names = [country.alpha_2, country.alpha_3, country.name]
        names += [getattr(country, a, "") or "" for a in ("official_name", "common_name")]
        for name in names:
            if name:
                table.setdefault(fold(name), code)
    for name, code in VARIANTS.items():
        table[fold(name)] = code
    return table


@lru_cache(maxsize=CACHE_SIZE)
def country_code(text: str | None) -> str | None:
    """ "Deutschland" -> "DE"; "London, England, United Kingdom" -> "GB"; unknown -> None."""
    if text is None or not text.strip():
        return None
    table = _lookup_table()
    whole = fold(text)
    if whole in table:
        return table[whole]
    dotless = whole.replace(".", "")
    if dotless in table and len(dotless) > 2:  # "U.S.A" but not "D.E." guessed as a code
        return table[dotless]
    # Locations ("City, Region, Country"): the country is the last part that names one. Two
    # letters after a comma are more often a US state ("Austin, TX", "Dover, DE") than a country.
    for part in reversed([p.strip() for p in whole.split(",")]):
        if len(part) > 2 and part in table:
            return table[part]
    return None


def clean_countries(raw: pl.Series) -> pl.DataFrame:
    """Columns country_code and country_unknown (text given that names no country)."""
    found = map_distinct(raw, lambda v: (country_code(v),), {"country_code": pl.String})
    return found.with_columns(
        (raw.is_not_null() & pl.col("country_code").is_null()).alias("country_unknown")
    )
