"""Phone numbers to E.164, exactly as libphonenumber (`phonenumbers`) decides validity.

Parsing every number through `phonenumbers` costs ~50 µs, too slow for a million-row list.
The common inputs ("+49 30 1234567", "(415) 555-0132" with the lead's country) are checked
in bulk against the same metadata patterns `phonenumbers.is_valid_number` uses, following its
rules for national prefixes and for country codes shared by several regions; anything the bulk
check cannot settle (extensions, letters, numbers dialled with an international prefix, a
national prefix that phonenumbers would rewrite) goes through `phonenumbers` itself, once per
distinct value.
"""

from __future__ import annotations

import re
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
    """A region's metadata as Polars patterns: what phonenumbers reads and validates with."""

    region: str
    country_code: str
    # How a national prefix is recognised ("0", "0|180020", "(183[12])|0"); with a transform
    # rule, a match of the last group is rewritten, which only phonenumbers does.
    national_prefix: str | None
    transformed_group: int | None
    general: str
    types: tuple[tuple[str, tuple[int, ...]], ...]
    general_lengths: tuple[int, ...]
    # Leading digits by which phonenumbers gives a number to this region of a shared code.
    leading: str | None
    # The international dialling prefix ("00", "011", "0(?:0|1[2-9])"): a national-format
    # number starting with it is read by phonenumbers as an international one.
    international_prefix: str | None


@cache
def region_rule(region: str) -> RegionRule | None:
    """The rule of a region, or None when it has no metadata to check numbers against."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None or metadata.country_code is None:
        return None
    general = metadata.general_desc
    if not general.national_number_pattern:
        return None
    prefix = metadata.national_prefix_for_parsing or None
    transformed_group = None
    if prefix and metadata.national_prefix_transform_rule:
        groups = re.compile(prefix).groups
        if not groups:
            return None
        transformed_group = groups
    types = tuple(
        (_ascii(desc.national_number_pattern), tuple(desc.possible_length or ()))
        for name in _TYPE_DESCS
        if (desc := getattr(metadata, name)) is not None and desc.national_number_pattern
    )
    return RegionRule(
        region=region,
        country_code=str(metadata.country_code),
        national_prefix=_ascii(prefix) or None,
        transformed_group=transformed_group,
        general=_ascii(general.national_number_pattern),
        types=types,
        general_lengths=tuple(general.possible_length or ()),
        leading=_ascii(metadata.leading_digits) or None,
        international_prefix=_ascii(metadata.international_prefix) or None,
    )


def _ascii(pattern: str | None) -> str:
    """A metadata pattern with [0-9] for \\d: the same on the ASCII digits the rules see.

    Without Unicode digit classes the regular expressions compile several times faster.
    """
    return (pattern or "").replace("\\d", "[0-9]")


def _matches(number: pl.Expr, pattern: str, lengths: tuple[int, ...]) -> pl.Expr:
    # As phonenumbers' _is_number_matching_desc: listed lengths first, then a full match.
    hit = number.str.contains(f"^(?:{pattern})$")
    if lengths:
        hit = hit & number.str.len_chars().is_in(list(lengths))
    return hit


def _general(rule: RegionRule, number: pl.Expr) -> pl.Expr:
    return _matches(number, rule.general, rule.general_lengths)


def _type_known(rule: RegionRule, number: pl.Expr) -> pl.Expr:
    """phonenumbers' _number_type_helper(number) != UNKNOWN."""
    typed = pl.any_horizontal(*(_matches(number, p, lengths) for p, lengths in rule.types))
    return _general(rule, number) & typed


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
def _code_of_region() -> dict[str, str]:
    return {
        region: str(code)
        for code, regions in COUNTRY_CODE_TO_REGION_CODE.items()
        for region in regions
    }


def _calling_code(digits: pl.Expr) -> pl.Expr:
    """The country code a "+<digits>" number starts with: codes are prefix-free, 1-3 digits."""
    codes = {str(code) for code in COUNTRY_CODE_TO_REGION_CODE}
    by_length = [
        pl.when(digits.str.slice(0, n).is_in([c for c in codes if len(c) == n])).then(
            digits.str.slice(0, n)
        )
        for n in (1, 2, 3)
    ]
    return pl.coalesce(by_length)


@cache
def _national_exprs(region: str) -> tuple[pl.Expr, pl.Expr] | None:
    """For numbers read with a region's metadata: the national significant number, and
    whether phonenumbers might read it otherwise (then it is left to phonenumbers)."""
    rule = region_rule(region)
    if rule is None:
        return None
    national = pl.col("national")
    unsure = pl.lit(False)
    candidate = national
    if rule.national_prefix:
        # phonenumbers strips the national prefix when what remains is still a number; a
        # number that only validates unstripped while starting with the prefix is left to it.
        prefix = f"^(?:{rule.national_prefix})"
        matched = national.str.contains(prefix)
        candidate = pl.when(matched).then(national.str.replace(prefix, "")).otherwise(national)
        unsure = matched & ~_type_known(rule, candidate)
        if rule.transformed_group is not None:
            transformed = national.str.extract(prefix, rule.transformed_group).is_not_null()
            unsure = unsure | transformed
    not_plus = ~pl.col("plus")
    if rule.international_prefix:
        # "00 44 ...", "011 44 ...", "015 ..." in Israel: read as dialled from abroad.
        unsure = unsure | (not_plus & national.str.contains(f"^(?:{rule.international_prefix})"))
    # A national number that starts with the country code and is no number as it stands is
    # read by phonenumbers as one written with its country code.
    with_code = national.str.starts_with(rule.country_code) & ~_general(rule, national)
    unsure = unsure | (not_plus & with_code)
    return candidate.alias("candidate"), unsure.alias("unsure")


@cache
def _validity_exprs(code: str) -> list[tuple[pl.Expr, pl.Expr]] | None:
    """Per region sharing a country code, in phonenumbers' order: (claims, valid) on
    `candidate`. The first region that claims a number decides whether it is valid."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(int(code), ())
    rules = [region_rule(region) for region in regions]
    if not rules or any(rule is None for rule in rules):
        return None
    candidate = pl.col("candidate")
    if len(rules) == 1:
        rule = rules[0]
        assert rule is not None
        return [(pl.lit(True), _type_known(rule, candidate))]
    steps = []
    for rule in rules:
        assert rule is not None
        known = _type_known(rule, candidate)
        claims = candidate.str.contains(f"^(?:{rule.leading})") if rule.leading else known
        steps.append((claims, known))
    return steps


def _scatter(result: pl.Series, index: pl.Series, values: pl.Series) -> pl.Series:
    return result.scatter(index, values) if len(index) else result


def _bulk_e164(frame: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """E.164 of the valid numbers among the rows the metadata patterns settle, and which rows
    they settle (valid or not); the other rows are left to phonenumbers."""
    codes = _code_of_region()
    frame = frame.with_columns(
        (pl.col("raw").str.contains(_SIMPLE) & (pl.col("raw").str.len_chars() <= _MAX_INPUT_LENGTH))
        .fill_null(False)
        .alias("simple"),
        pl.col("raw").str.starts_with("+").fill_null(False).alias("plus"),
        pl.col("raw").str.replace_all(r"[^0-9]", "").alias("digits"),
        pl.col("region").replace_strict(codes, default=None, return_dtype=pl.String).alias("own"),
    ).with_columns(
        pl.when("plus").then(_calling_code(pl.col("digits"))).otherwise("own").alias("code")
    )
    main_region = {str(code): regions[0] for code, regions in COUNTRY_CODE_TO_REGION_CODE.items()}
    rows = (
        frame.with_row_index("i")
        .filter(pl.col("simple") & pl.col("code").is_not_null())
        .with_columns(
            # phonenumbers reads a national number with the lead's region, and one with a
            # country code with the main region of that code.
            pl.when("plus")
            .then(pl.col("code").replace_strict(main_region, default=None))
            .otherwise("region")
            .alias("read_as"),
            pl.when("plus")
            .then(pl.col("digits").str.slice(pl.col("code").str.len_chars()))
            .otherwise("digits")
            .alias("national"),
        )
    )
    parts = []
    for (region,), part in rows.group_by("read_as"):
        exprs = _national_exprs(str(region)) if region is not None else None
        if exprs is not None:
            parts.append(part.with_columns(*exprs).filter(~pl.col("unsure")))
    e164 = pl.Series("e164", [None] * frame.height, dtype=pl.String)
    # Without "+" or a region there is no country to read a number with: phonenumbers refuses it.
    settled = frame.select(
        pl.col("simple") & ~pl.col("plus") & pl.col("region").is_null()
    ).to_series()
    if not parts:
        return e164, settled
    for (code,), part in pl.concat(parts).group_by("code"):
        steps = _validity_exprs(str(code))
        if steps is None:
            continue
        pending = part
        for claims, valid in steps:
            if pending.is_empty():
                break
            decided = pending.with_columns(claims.alias("claims"), valid.alias("valid"))
            claimed = decided.filter("claims")
            settled = _scatter(settled, claimed["i"], pl.Series([True] * claimed.height))
            valid_rows = claimed.filter("valid")
            e164 = _scatter(e164, valid_rows["i"], "+" + str(code) + valid_rows["candidate"])
            pending = decided.filter(~pl.col("claims")).drop("claims", "valid")
        # A number no region of its code claims has no region: phonenumbers calls it invalid.
        settled = _scatter(settled, pending["i"], pl.Series([True] * pending.height))
    return e164, settled


def clean_phones(raw: pl.Series, region: pl.Series) -> pl.DataFrame:
    """Columns phone_e164 (null when invalid or absent) and phone_invalid (text given, no number)."""
    frame = pl.DataFrame({"raw": raw.str.strip_chars().replace("", None), "region": region})
    bulk, settled = _bulk_e164(frame)
    given = frame["raw"].is_not_null()
    pairs = frame.filter(~settled & given).unique()
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
