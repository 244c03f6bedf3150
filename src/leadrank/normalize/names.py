"""Person names: split a full name, and fix the capitalisation of all-lower or all-upper names."""

from __future__ import annotations

import re
from functools import cache, lru_cache

import polars as pl
from nameparser import HumanName
from nameparser.config import CONSTANTS

from leadrank.normalize.values import CACHE_SIZE, map_distinct

# Punctuation by which nameparser reads initials, "Last, First" order and nicknames.
_MARKS = frozenset('.,"()[]{}&')
_ROMAN = re.compile(r"[ivxlcdm]+", re.IGNORECASE)
_PIECES = re.compile(r"([\s\-'’]+)")
_LOWER_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "da", "di", "del", "la", "le", "du"}
)


@lru_cache(maxsize=CACHE_SIZE)
def capitalise_name(name: str | None) -> str | None:
    """ "ann" -> "Ann", "O'BRIEN" -> "O'Brien", "mcdonald" -> "McDonald"; mixed case is kept."""
    if name is None:
        return None
    text = " ".join(name.split())
    if not text:
        return None
    if text != text.lower() and text != text.upper():
        return text  # "DeVito", "van der Berg": the person's own spelling
    out = []
    for index, piece in enumerate(_PIECES.split(text.lower())):
        if not piece or _PIECES.fullmatch(piece) or (index > 0 and piece in _LOWER_PARTICLES):
            out.append(piece)
        elif piece.startswith("mc") and len(piece) > 2:
            out.append("Mc" + _capital(piece[2:]))
        else:
            out.append(_capital(piece))
    return "".join(out)


def _capital(piece: str) -> str:
    """The lower-case piece with a capital first letter, when that only changes the case."""
    capital = piece.capitalize()
    # "ß" -> "Ss", "ŉ" -> "ʼN" change the letters themselves, and "ʼN" would not come back.
    return capital if capital.lower() == piece else piece


@cache
def _special_words() -> frozenset[str]:
    """Words nameparser gives a role of their own: titles, suffixes, prefixes, conjunctions."""
    c = CONSTANTS
    return frozenset(
        str(word).lower()
        for group in (
            c.titles,
            c.suffix_acronyms,
            c.suffix_not_acronyms,
            c.prefixes,
            c.conjunctions,
        )
        for word in group
    )


def _plain_two_words(full_name: str) -> tuple[str | None, str | None] | None:
    """ "ann lee" -> ("Ann", "Lee") when nameparser would read it the same way; else None.

    Most full names are two plain words; nameparser takes ~0.4 ms a name to say so.
    """
    words = full_name.split()
    if len(words) != 2 or any(ch in full_name for ch in _MARKS):
        return None
    special = _special_words()
    # Single letters are initials to nameparser, Roman numerals suffixes ("III"), words in
    # single quotes nicknames, and words without a letter ("--") no name at all.
    if any(
        len(word) < 2
        or not any(ch.isalpha() for ch in word)
        or word.lower() in special
        or _ROMAN.fullmatch(word)
        or word.startswith("'")
        or word.endswith("'")
        for word in words
    ):
        return None
    return capitalise_name(words[0]), capitalise_name(words[1])


@lru_cache(maxsize=CACHE_SIZE)
def split_full_name(full_name: str) -> tuple[str | None, str | None]:
    """ "Dr. ann lee" -> ("Ann", "Lee"): titles and suffixes dropped, capitalised."""
    plain = _plain_two_words(full_name)
    return plain if plain is not None else nameparser_split(full_name)


def nameparser_split(full_name: str) -> tuple[str | None, str | None]:
    """What nameparser makes of a full name: first, and middle plus last, capitalised."""
    parsed = HumanName(full_name)
    first = parsed.first or None
    last = " ".join(p for p in (parsed.middle, parsed.last) if p) if parsed.last else None
    if first and not last and parsed.middle:
        last = parsed.middle
    return capitalise_name(first), capitalise_name(last)


def clean_names(first: pl.Series, last: pl.Series, full: pl.Series) -> pl.DataFrame:
    """Columns first_name, last_name and full_name, each filled from the others when missing."""
    schema = {"name": pl.String}
    first_clean = map_distinct(first, lambda v: (capitalise_name(v),), schema)["name"]
    last_clean = map_distinct(last, lambda v: (capitalise_name(v),), schema)["name"]
    # Split the full name only where the parts are missing: nameparser is slow.
    needs_split = full.filter(first_clean.is_null() & last_clean.is_null())
    split = {value: split_full_name(value) for value in needs_split.drop_nulls().unique().to_list()}
    from_full_first = full.replace_strict(
        {k: v[0] for k, v in split.items()}, default=None, return_dtype=pl.String
    )
    from_full_last = full.replace_strict(
        {k: v[1] for k, v in split.items()}, default=None, return_dtype=pl.String
    )
    both_missing = first_clean.is_null() & last_clean.is_null()
    frame = pl.DataFrame(
        {
            "first_name": first_clean.zip_with(~both_missing, from_full_first),
            "last_name": last_clean.zip_with(~both_missing, from_full_last),
            "full": map_distinct(full, lambda v: (capitalise_name(v),), schema)["name"],
        }
    )
    joined = pl.concat_str(["first_name", "last_name"], separator=" ", ignore_nulls=True)
    return frame.select(
        "first_name",
        "last_name",
        pl.when(pl.col("first_name").is_not_null() | pl.col("last_name").is_not_null())
        .then(joined)
        .otherwise(pl.col("full"))
        .alias("full_name"),
    )
