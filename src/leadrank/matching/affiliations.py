"""Strings that mix an organisation and its address, as affiliations, letterheads and free-text
"company" cells write them: "Dept. of Computer Science, Stanford University, Stanford, CA
94305, USA" or "IBM Almaden Research Center, 650 Harry Road, San Jose, CA 95120".

The comma-separated parts are read one by one: a country, a postcode (alone or after a state
code), a street (a number, or a street word), and the organisation's own parts; what is left
after the organisation is the city. Of the organisation's parts, units (a department, school,
faculty, division) name a site of the organisation: at `organisation` level they are dropped
from the name, at `site` level they are kept.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from functools import lru_cache

import polars as pl

from leadrank.matching.organisations import organisation_words
from leadrank.normalize.country import country_code
from leadrank.normalize.values import CACHE_SIZE, map_distinct

LEVELS = ("organisation", "site")
# A name column is read as affiliations when this share of its values carry address parts:
# splitting a plain name changes nothing, so a column of some affiliations is split whole.
AFFILIATION_SHARE = 0.2

_STREET = re.compile(
    r"^\d|\s\d+[a-z]?$|\b(road|rd|street|st|avenue|ave|av|boulevard|blvd|drive|dr|way|lane|ln|place|pl|"
    r"square|sq|parkway|pkwy|highway|hwy|straße|strasse|str|weg|laan|straat|plein|rue|via|"
    r"calle|p\.?\s?o\.?\s?box|box|suite|floor|building|bldg|campus|room)\b\.?",
    re.IGNORECASE,
)
# A postcode at the end of a part, after a region or city if any: "CA 94305", "1012 AB",
# "75005", "Beijing 100190", "SW1A 1AA", "Ontario M5S 1A4", "113-8654".
_POSTCODE = re.compile(
    r"(?:^|\s)(\d{4,6}(?:-\d{4})?(?:\s?[A-Z]{2})?|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
    r"|[A-Z]\d[A-Z]\s?\d[A-Z]\d|\d{3}-\d{4})$",
    re.IGNORECASE,
)
_LEADING_POSTCODE = re.compile(r"^(\d{4}\s?[A-Z]{2}|\d{4,5})\s+(?=[A-Za-z])", re.IGNORECASE)
_STATE = re.compile(r"^[A-Z]{2}$")
_ACRONYM = re.compile(r"^[A-Z][A-Z&]{2,7}$")
# Two-letter parts are more often a US state than a country ("CA", "DE"), except these.
_SHORT_COUNTRIES = frozenset({"UK", "US", "USA", "UAE"})


def _is_country(part: str) -> bool:
    if part.upper().replace(".", "") in _SHORT_COUNTRIES:
        return True
    return len(part) > 2 and country_code(part) is not None


_UNIT = re.compile(
    r"^(dept|department|school|faculty|division|div|section|unit|chair|group|program|"
    r"programme|graduate school|college of|centre for|center for|institute for|lab|"
    r"laboratory for)\b|\b(dept|department|division|faculty|section)\.?$",
    re.IGNORECASE,
)
# Words that say a part names an organisation (or one of its units) rather than a place.
_ORGANISATION_WORD = re.compile(
    r"\b(univ\w*|institut\w*|inc|corp\w*|co|ltd|llc|gmbh|ag|bv|nv|sa|company|laborator\w*|"
    r"labs?|research|center|centre|hospital|college|school|academy|foundation|department|"
    r"dept|faculty|division|bank|group|technolog\w*|systems|international|council|agency|"
    r"ministry|association|society|clinic|museum|observatory)\b\.?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Affiliation:
    """An affiliation string's parts; None where it has none."""

    organisation: str | None
    unit: str | None  # the department, school or division, when one is named
    address: str | None
    city: str | None
    postcode: str | None
    country: str | None


@lru_cache(maxsize=CACHE_SIZE)
def split_affiliation(text: str | None, level: str = "organisation") -> Affiliation:
    """The organisation part of `text` (at `level`) and its address parts."""
    if not text or not text.strip():
        return Affiliation(None, None, None, None, None, None)
    parts = [p.strip() for p in re.split(r"[,;]|\s+-\s+", text) if p.strip()]
    if not parts:  # nothing but separators
        return Affiliation(None, None, None, None, None, None)
    shouting = text.isupper()
    country = postcode = None
    streets: list[str] = []
    kept: list[str] = []
    for position, part in enumerate(parts):
        if position > 0 and country is None and _is_country(part):
            country = country_code(part)
        elif position > 0 and (found := _LEADING_POSTCODE.match(part)):
            postcode = found.group(1)
            kept.append(part[found.end() :].strip())  # "5656 AA Eindhoven": the city after it
        elif position > 0 and (found := _POSTCODE.search(part)):
            postcode = found.group(1)
            before = part[: found.start()].strip()
            if before and not _STATE.match(before) and not _STREET.search(before):
                kept.append(before)  # the city or region written before the postcode
        elif position > 0 and _STATE.match(part):
            continue  # a state code ("CA"): the postcode and city say more
        elif position > 0 and _STREET.search(part) and not _ORGANISATION_WORD.search(part):
            streets.append(part)
        else:
            kept.append(part)
    if not kept:
        return Affiliation(None, None, None, postcode, None, country)
    # A part that names an organisation: its words say so, or it is an acronym ("MIT") in a
    # string that is not all capitals.
    organisation_parts = [kept[0]] + [
        p for p in kept[1:] if _ORGANISATION_WORD.search(p) or (not shouting and _ACRONYM.match(p))
    ]
    places = [p for p in kept[1:] if p not in organisation_parts]
    units = [p for p in organisation_parts if _UNIT.search(p)]
    return Affiliation(
        organisation=_organisation_name(organisation_parts, level),
        unit=", ".join(units) or None,
        address=" ".join(streets) or None,
        city=places[0] if places else None,
        postcode=postcode,
        country=country,
    )


def _organisation_name(parts: list[str], level: str) -> str | None:
    """The organisation's parts, units left out at organisation level (all of them if every
    part is a unit: "Dept. of Physics" alone still names something)."""
    if level == "organisation":
        whole = [p for p in parts if not _UNIT.search(p)]
        parts = whole or parts
    return ", ".join(parts) or None


# Words that say a part is a unit, not what the unit does.
_UNIT_KINDS = frozenset(
    {
        "department",
        "school",
        "division",
        "faculty",
        "section",
        "unit",
        "chair",
        "group",
        "program",
        "programme",
        "graduate",
        "college",
        "center",
        "institute",
        "laboratory",
    }
)


def unit_words(unit: str | None) -> list[str] | None:
    """The words that name what a unit does: "Dept. of Physics" and "Physics Department"
    give ["physic"]; None for no unit."""
    words = [w for w in organisation_words(unit) if w not in _UNIT_KINDS] if unit else []
    return sorted(set(words)) or None


def looks_like_affiliations(values: pl.Series) -> bool:
    """Whether enough values of a name column (AFFILIATION_SHARE) carry address parts after
    commas: a street, a postcode or a country."""
    sample = values.drop_nulls().head(2_000)
    if sample.is_empty():
        return False
    with_address = [
        any((parts.address, parts.postcode, parts.country))
        for parts in (split_affiliation(text) for text in sample.to_list() if "," in text)
    ]
    return sum(with_address) >= AFFILIATION_SHARE * sample.len()


def affiliation_columns(values: pl.Series, level: str) -> pl.DataFrame:
    """Columns company, unit, address, city, postcode and country, split from each value."""
    parts = ("company", "unit", "address", "city", "postcode", "country")
    return map_distinct(
        values,
        lambda text: astuple(split_affiliation(text, level)),
        dict.fromkeys(parts, pl.String),
    )
