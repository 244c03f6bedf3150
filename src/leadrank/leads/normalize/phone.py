"""Phone numbers to E.164, exactly as libphonenumber (`phonenumbers`) decides validity.

Parsing every number through `phonenumbers` costs ~50 µs, too slow for a million-row list.
The common inputs ("+49 30 1234567", "(415) 555-0132" with the lead's country) are checked
in bulk against the same metadata patterns `phonenumbers.is_valid_number` uses; anything the
bulk check cannot settle (extensions, letters, odd or international dialling prefixes, regions
whose national prefix is a pattern, such as GB, AU, JP, BR and AR) goes through `phonenumbers`
itself, once per distinct value.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import phonenumbers
import polars as pl
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

_TYPE_DESCS = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)
# Only digits and the separators people type ("+49 30 1234567", "(415) 555-0132"); anything
# else is left to phonenumbers.
_SIMPLE = r"^\+?\(?[0-9][0-9 ().\-/]*$"
# phonenumbers refuses longer input outright, whatever it holds.
_MAX_INPUT_LENGTH = 250


@dataclass(frozen=True)
class RegionRule:
    """The validity rule of one region: the number must match the general pattern and a type."""

    country_code: str
    national_prefix: str | None
    general: str
    types: tuple[tuple[str, tuple[int, ...]], ...]
    general_lengths: tuple[int, ...]
    # Leading digits this region's numbers must start with to be its own (RU, NO, FI, ...).
    leading: str | None
    # Leading digits of the other regions sharing this country code (NANPA islands, ...).
    others_leading: str | None
    # The international dialling prefix ("00", "011", "0(?:0|1[2-9])"): a national-format
    # number starting with it is read by phonenumbers as an international one.
    international_prefix: str | None


@cache
def region_rule(region: str) -> RegionRule | None:
    """The bulk-checkable rule of a region, or None when only phonenumbers can decide."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None:
        return None
    prefix = metadata.national_prefix_for_parsing
    # Regions whose national prefix is a pattern or is transformed need the real parser.
    if metadata.national_prefix_transform_rule or (prefix is not None and not prefix.isdigit()):
        return None
    code = metadata.country_code
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code, ()) if code is not None else ()
    if not regions or regions[0] != region:
        return None  # only the main region of a shared country code is checked in bulk
    others = [
        _ascii(other_metadata.leading_digits)
        for other in regions[1:]
        if (other_metadata := PhoneMetadata.metadata_for_region(other)) is not None
    ]
    types = tuple(
        (_ascii(desc.national_number_pattern), tuple(desc.possible_length or ()))
        for name in _TYPE_DESCS
        if (desc := getattr(metadata, name)) is not None and desc.national_number_pattern
    )
    general = metadata.general_desc
    if not general.national_number_pattern:
        return None
    return RegionRule(
        country_code=str(code),
        national_prefix=prefix,
        general=_ascii(general.national_number_pattern),
        types=types,
        general_lengths=tuple(general.possible_length or ()),
        leading=_ascii(metadata.leading_digits) or None,
        others_leading="|".join(o for o in others if o) or None,
        international_prefix=_ascii(metadata.international_prefix) or None,
    )


def _ascii(pattern: str | None) -> str:
    """A metadata pattern with [0-9] for \\d: the same on the ASCII digits the rules see.

    Without Unicode digit classes the regular expressions compile several times faster.
    """
    return (pattern or "").replace("\\d", "[0-9]")


def _matches(number: pl.Expr, pattern: str, lengths: tuple[int, ...]) -> pl.Expr:
    hit = number.str.contains(f"^(?:{pattern})$")
    if lengths and lengths != (-1,):
        hit = hit & number.str.len_chars().is_in(list(lengths))
    return hit


def _valid_for(rule: RegionRule, number: pl.Expr) -> pl.Expr:
    typed = pl.any_horizontal(*(_matches(number, p, lengths) for p, lengths in rule.types))
    valid = _matches(number, rule.general, rule.general_lengths) & typed
    if rule.leading:
        # phonenumbers gives the number to this region only when it starts with these digits.
        valid = valid & number.str.contains(f"^(?:{rule.leading})")
    if rule.others_leading:
        valid = valid & ~number.str.contains(f"^(?:{rule.others_leading})")
    return valid


def to_e164(raw: str | None, region: str | None) -> str | None:
    """The E.164 form of a valid number, using the region for national formats; else None."""
    if raw is None or not raw.strip():
        return None
    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@cache
def _calling_code_regions() -> dict[str, str]:
    return {str(code): regions[0] for code, regions in COUNTRY_CODE_TO_REGION_CODE.items()}


def _region_of_international(digits: pl.Expr) -> pl.Expr:
    """The main region of a "+<digits>" number: country codes are prefix-free, 1-3 digits."""
    codes = _calling_code_regions()
    by_length = [
        digits.str.slice(0, n).replace_strict(
            {c: r for c, r in codes.items() if len(c) == n}, default=None, return_dtype=pl.String
        )
        for n in (1, 2, 3)
    ]
    return pl.coalesce(by_length)


@cache
def _region_exprs(region: str) -> tuple[pl.Expr, pl.Expr] | None:
    """For rows read by a region's rule: its national number, then its E.164 or null.

    Built once per region: the expressions hold every pattern of the region's metadata.
    """
    rule = region_rule(region)
    if rule is None:
        return None
    code = rule.country_code
    national = (
        pl.when("plus").then(pl.col("digits").str.slice(len(code))).otherwise(pl.col("digits"))
    )
    prefix = rule.national_prefix
    if prefix:
        # phonenumbers strips the national prefix when what remains is still a number; a
        # number that only validates unstripped while starting with the prefix is left to it.
        stripped = national.str.strip_prefix(prefix)
        candidate = pl.when(national.str.starts_with(prefix)).then(stripped).otherwise(national)
    else:
        candidate = national
    settled = _valid_for(rule, pl.col("candidate"))
    if rule.international_prefix:
        # "00 44 ...", "011 44 ...", "015 ..." in Israel: phonenumbers strips the prefix and
        # reads a country code; such rows are left to it.
        dialled_abroad = pl.col("digits").str.contains(f"^(?:{rule.international_prefix})")
        settled = settled & (pl.col("plus") | ~dialled_abroad)
    e164 = pl.when(settled).then(pl.lit("+" + code) + pl.col("candidate"))
    return candidate.alias("candidate"), e164.alias("e")


@cache
def _rule_region() -> pl.Expr:
    """The region whose rule reads a row: the country code's after "+", else the lead's."""
    return (
        pl.when("plus")
        .then(_region_of_international(pl.col("digits")))
        .otherwise(pl.col("region"))
        .alias("rule_region")
    )


def _bulk_e164(frame: pl.DataFrame) -> pl.Series:
    """E.164 for rows the metadata patterns settle; null for rows left to phonenumbers."""
    frame = frame.with_columns(
        (pl.col("raw").str.contains(_SIMPLE) & (pl.col("raw").str.len_chars() <= _MAX_INPUT_LENGTH))
        .fill_null(False)
        .alias("simple"),
        pl.col("raw").str.strip_chars().str.starts_with("+").fill_null(False).alias("plus"),
        pl.col("raw").str.replace_all(r"[^0-9]", "").alias("digits"),
    ).with_columns(_rule_region())
    indexed = frame.with_row_index("i").filter(
        pl.col("simple") & pl.col("rule_region").is_not_null()
    )
    result = pl.Series("e164", [None] * frame.height, dtype=pl.String)
    for (region,), part in indexed.group_by("rule_region"):
        exprs = _region_exprs(str(region))
        if exprs is None:
            continue
        # The national number as a column of its own rather than once in every pattern's
        # expression: several times faster.
        candidate, e164 = exprs
        settled = part.with_columns(candidate).select("i", e164)
        result = result.scatter(settled["i"], settled["e"])  # nulls where it stays unsettled
    return result


def clean_phones(raw: pl.Series, region: pl.Series) -> pl.DataFrame:
    """Columns phone_e164 (null when invalid or absent) and phone_invalid (text given, no number)."""
    frame = pl.DataFrame({"raw": raw.str.strip_chars().replace("", None), "region": region})
    bulk = _bulk_e164(frame)
    given = frame["raw"].is_not_null()
    pairs = frame.filter(bulk.is_null() & given).unique()
    if pairs.is_empty():
        e164 = bulk
    else:
        slow = pairs.with_columns(
            pl.Series("slow", [to_e164(r, g) for r, g in pairs.iter_rows()], dtype=pl.String)
        )
        e164 = (
            frame.join(
                slow, on=["raw", "region"], how="left", maintain_order="left", nulls_equal=True
            )
            .select(pl.col("slow").fill_null(bulk))
            .to_series()
        )
    e164 = e164.alias("phone_e164")
    return pl.DataFrame([e164, (given & e164.is_null()).alias("phone_invalid")])
