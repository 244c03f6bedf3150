"""Comparable forms of each role's values: folded case and accents, nickname families, company
names without legal suffixes, addresses with standard abbreviations, digits of phones and dates.

Every function works on whole columns; slow per-value work runs once per distinct value.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources

import polars as pl

from leadrank.matching.affiliations import (
    affiliation_columns,
    looks_like_affiliations,
    unit_words,
)
from leadrank.matching.name_similarity import WordWeights
from leadrank.matching.organisations import organisation_key
from leadrank.matching.roles import RoleMap
from leadrank.normalize.domain import registrable_domain
from leadrank.normalize.values import CACHE_SIZE, blank_to_null, map_distinct

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Street words as the postal services abbreviate them, so "Street" and "St." compare equal.
_ADDRESS_WORDS = {
    "street": "st",
    "str": "st",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "boulevard": "blvd",
    "blv": "blvd",
    "drive": "dr",
    "lane": "ln",
    "place": "pl",
    "court": "ct",
    "crescent": "cres",
    "circuit": "cct",
    "highway": "hwy",
    "parkway": "pkwy",
    "square": "sq",
    "terrace": "tce",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "suite": "ste",
    "floor": "fl",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    **{
        word: f"{n}{'st' if n == 1 else 'nd' if n == 2 else 'rd' if n == 3 else 'th'}"
        for n, word in enumerate(
            [
                "first",
                "second",
                "third",
                "fourth",
                "fifth",
                "sixth",
                "seventh",
                "eighth",
                "ninth",
                "tenth",
            ],
            start=1,
        )
    },
}


@cache
def _nickname_lines() -> tuple[tuple[str, ...], ...]:
    """The nickname families of data/nicknames.txt, each with its full name first."""
    text = resources.files("leadrank.matching").joinpath("data", "nicknames.txt").read_text()
    return tuple(
        tuple(line.split()) for line in text.splitlines() if line and not line.startswith("#")
    )


@cache
def nickname_families() -> dict[str, tuple[int, ...]]:
    """Given name -> the ids of the nickname families it belongs to."""
    families: dict[str, list[int]] = {}
    for family, names in enumerate(_nickname_lines()):
        for name in names:
            families.setdefault(name, []).append(family)
    return {name: tuple(ids) for name, ids in families.items()}


@cache
def _canonical_first_names() -> dict[str, str]:
    """Given name -> the full name of its first nickname family ("bob" -> "robert")."""
    canonical: dict[str, str] = {}
    for names in _nickname_lines():
        for name in names:
            canonical.setdefault(name, names[0])
    return canonical


@lru_cache(maxsize=CACHE_SIZE)
def name_block(first: str | None, last: str | None) -> str | None:
    """The sounds of both names in either order, a nickname as its full name: "Bob Smith",
    "Robert Smyth" and "Smith Robert" all give "R163|S530"."""
    first_word = (folded(first) or "").split(" ")[0] if first else ""
    last_word = (folded(last) or "").split(" ")[-1] if last else ""
    codes = [
        soundex(_canonical_first_names().get(first_word, first_word)),
        soundex(last_word),
    ]
    if None in codes:
        return None
    return "|".join(sorted(code for code in codes if code))


def lead_blocks(
    first: pl.Series, last: pl.Series, company_id: pl.Series, country: pl.Series
) -> pl.Series:
    """Per lead: its name block at its company, else in its country (null without a name)."""
    place = (
        pl.DataFrame({"c": company_id.cast(pl.String), "k": country})
        .select(pl.coalesce(pl.col("c"), "cc:" + pl.col("k"), pl.lit("-")))
        .to_series()
    )
    return (name_blocks(first, last) + "@" + place).alias("match_block")


def name_blocks(first: pl.Series, last: pl.Series) -> pl.Series:
    """name_block of each row, computed once per distinct pair of names."""
    pairs = pl.DataFrame({"first": first, "last": last})
    distinct = pairs.unique()
    blocks = [name_block(f, la) for f, la in distinct.iter_rows()]
    table = distinct.with_columns(pl.Series("block", blocks, dtype=pl.String))
    joined = pairs.join(
        table, on=["first", "last"], how="left", nulls_equal=True, maintain_order="left"
    )
    return joined["block"]


@lru_cache(maxsize=CACHE_SIZE)
def folded(text: str) -> str | None:
    """Lower-case ASCII letters and digits, other characters as single spaces."""
    ascii_text = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    words = _NON_ALNUM.sub(" ", ascii_text.replace("'", "")).split()
    return " ".join(words) or None


def _folded(values: pl.Series) -> pl.Series:
    return map_distinct(values.cast(pl.String), lambda v: (folded(v),), {"v": pl.String})["v"]


@lru_cache(maxsize=CACHE_SIZE)
def _address(text: str) -> str | None:
    words = (folded(text) or "").split()
    return " ".join(_ADDRESS_WORDS.get(w, w) for w in words) or None


_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


def soundex(word: str | None) -> str | None:
    """American Soundex: names that sound alike share a code ("robert", "rupert" -> R163)."""
    if not word:
        return None
    letters = [c for c in word.lower() if "a" <= c <= "z"]
    if not letters:
        return None
    out, last = letters[0].upper(), _SOUNDEX_CODES.get(letters[0], "")
    for c in letters[1:]:
        code = _SOUNDEX_CODES.get(c, "")
        if code and code != last:
            out += code
        if c not in "hw":
            last = code
    return (out + "000")[:4]


def _text(frame: pl.DataFrame, columns: list[str]) -> pl.Series:
    """The role's columns as one text column (several address columns joined by spaces)."""
    parts = [blank_to_null(pl.col(c).cast(pl.String)) for c in columns]
    return frame.select(
        pl.concat_str(parts, separator=" ", ignore_nulls=True).alias("v")
        if len(parts) > 1
        else parts[0].alias("v")
    ).to_series()


def prepare(
    frame: pl.DataFrame, roles: RoleMap, *, company_level: str | None = None
) -> pl.DataFrame:
    """One comparable column per role (plus helpers: nickname families, soundex, local part).
    With `company_level`, company names that carry their address (affiliation strings) are
    split: the organisation's name at that level, and the address parts as their roles."""
    out: dict[str, pl.Series] = {}
    for role, columns in roles.columns.items():
        raw = _text(frame, columns)
        if role == "company" and company_level and looks_like_affiliations(raw):
            parts = affiliation_columns(raw, company_level)
            raw = parts["company"]
            for part in ("address", "city", "postcode", "country"):
                if part not in roles.columns:
                    out[part] = _prepared_part(part, parts[part])
            if company_level == "site":
                out["_unit"] = map_distinct(
                    parts["unit"], lambda v: (unit_words(v),), {"v": pl.List(pl.String)}
                )["v"]
        if role == "address":
            out[role] = map_distinct(raw, lambda v: (_address(v),), {"v": pl.String})["v"]
        elif role in ("postcode", "identifier", "date", "phone"):
            digits = raw.str.replace_all(r"[^0-9A-Za-z]", "").str.to_lowercase()
            out[role] = digits.replace("", None)
        elif role == "email":
            out[role] = raw.str.strip_chars().str.to_lowercase()
        elif role == "company":
            keys = map_distinct(raw, lambda v: (organisation_key(v),), {"v": pl.String})["v"]
            out[role] = keys
        elif role == "domain":
            domains = map_distinct(raw, lambda v: (registrable_domain(v),), {"v": pl.String})
            out[role] = domains["v"]
        else:
            out[role] = _folded(raw)
    prepared = pl.DataFrame(
        out, schema={name: pl.List(pl.String) if name == "_unit" else pl.String for name in out}
    )
    return _with_name_parts(prepared)


def _prepared_part(role: str, values: pl.Series) -> pl.Series:
    """An address part split from an affiliation, in its role's comparable form."""
    if role == "address":
        return map_distinct(values, lambda v: (_address(v),), {"v": pl.String})["v"]
    if role == "postcode":
        return values.str.replace_all(r"[^0-9A-Za-z]", "").str.to_lowercase().replace("", None)
    return _folded(values)


def _with_name_parts(prepared: pl.DataFrame) -> pl.DataFrame:
    """First and last name from a full name when they are not given; nickname families and
    soundex codes for comparing and blocking names; the phone's last nine digits (country
    codes and trunk prefixes vary); the email's local part."""
    columns = prepared.columns
    if "full_name" in columns and "first_name" not in columns and "last_name" not in columns:
        words = pl.col("full_name").str.split(" ")
        prepared = prepared.with_columns(
            words.list.first().alias("first_name"),
            pl.when(words.list.len() > 1).then(words.list.last()).alias("last_name"),
        )
    extra: list[pl.Expr | pl.Series] = []
    families = nickname_families()
    if "first_name" in prepared.columns:
        first = prepared["first_name"]
        found = map_distinct(
            first,
            lambda v: (list(families.get(v.split(" ")[0], ())),),
            {"v": pl.List(pl.Int64)},
        )["v"]
        extra.append(found.alias("_first_family"))
        extra.append(_soundex(first).alias("_first_sx"))
    if "last_name" in prepared.columns:
        extra.append(_soundex(prepared["last_name"]).alias("_last_sx"))
    if "phone" in prepared.columns:
        extra.append(pl.col("phone").str.slice(-9).alias("phone"))
    if "email" in prepared.columns:
        extra.append(pl.col("email").str.split("@").list.first().alias("_email_local"))
    return prepared.with_columns(extra) if extra else prepared


def _soundex(values: pl.Series) -> pl.Series:
    return map_distinct(values, lambda v: (soundex(v),), {"v": pl.String})["v"]


RARE_BLOCK_WORDS = 2  # each name is blocked with the names sharing one of its rarest words


def with_organisation_helpers(prepared: pl.DataFrame) -> pl.DataFrame:
    """Blocking helpers for organisations' own names: the name's words sorted (any order), its
    rarest words, and the initials of a long name next to a one-word name (an acronym's key)."""
    if "company" not in prepared.columns:
        return prepared
    names = prepared["company"]
    words = pl.col("company").str.split(" ")
    initials = words.list.eval(pl.element().str.slice(0, 1)).list.join("")
    return prepared.with_columns(
        words.list.unique().list.sort().list.join(" ").alias("_company_sorted"),
        WordWeights.of(names).rarest_words(names, RARE_BLOCK_WORDS).alias("_company_rare"),
        pl.when(words.list.len() >= 3)
        .then(initials)
        .when(words.list.len() == 1)
        .then(pl.col("company"))
        .alias("_company_acronym"),
        pl.col("company").str.slice(0, 6).alias("_company_prefix"),
    )
