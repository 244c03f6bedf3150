"""Exact-key identity: which rows of a batch are the same lead, and which existing lead they are.

Keys, strongest first: normalised email, LinkedIn URL, a source's own record id. Weak keys (phone,
name at company) decide only for rows that carry no strong key: a switchboard number shared by
two people with different emails must not merge them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

STRONG_KEYS = ("email", "linkedin", "ext")
WEAK_KEYS = ("phone", "name")
KEY_PRIORITY = {name: rank for rank, name in enumerate(STRONG_KEYS + WEAK_KEYS)}

Key = tuple[str, str]

_LEGAL_SUFFIXES = re.compile(
    r"\b(incorporated|inc|llc|l\.l\.c|ltd|limited|gmbh|ag|sa|sas|sarl|bv|nv|plc|pty|co|corp|"
    r"corporation|company|srl|spa|oy|ab|as|kg|kgaa|se|pte|pvt|private|holdings?|group)\b\.?"
)
_NON_WORD = re.compile(r"[^0-9a-z]+")


def company_name_key(name: str | None) -> str | None:
    """A comparable company name: accents, case, punctuation and legal suffixes removed."""
    if not name:
        return None
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    folded = folded.replace("&", " and ")
    stripped = _NON_WORD.sub(" ", _LEGAL_SUFFIXES.sub(" ", folded)).split()
    if not stripped:  # a name that is only a suffix ("Holdings Ltd") keeps its letters
        stripped = _NON_WORD.sub(" ", folded).split()
    return " ".join(stripped) or None


def company_match_keys(frame: pl.DataFrame) -> pl.Series:
    """Per row: "domain:<registrable domain>", else "name:<name key>", else null."""
    names = frame["company_name"].unique().drop_nulls().to_list()
    name_keys = {name: company_name_key(name) for name in names}
    by_name = frame["company_name"].replace_strict(name_keys, default=None, return_dtype=pl.String)
    return frame.select(
        pl.when(pl.col("company_domain").is_not_null())
        .then(pl.lit("domain:") + pl.col("company_domain"))
        .otherwise(pl.lit("name:") + by_name)
        .alias("company_key")
    ).to_series()


def lead_key_columns(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    """The identity keys of each cleaned row, one column per key type (null when absent)."""
    name_key = pl.col("full_name").str.to_lowercase() + pl.lit("|") + pl.col("company_key")
    return frame.select(
        pl.when(pl.col("email_valid")).then(pl.col("email")).alias("email"),
        pl.col("linkedin_url").alias("linkedin"),
        (pl.lit(f"{source}:") + pl.col("external_id").str.strip_chars()).alias("ext"),
        pl.col("phone_e164").alias("phone"),
        name_key.alias("name"),
    )


@dataclass(frozen=True)
class Resolution:
    """Per row: the existing lead it belongs to (or None) and its group within the batch."""

    existing_lead: list[int | None]
    group: list[int]


def resolve(keys: pl.DataFrame, existing: dict[Key, int], usable: Sequence[bool]) -> Resolution:
    """Group rows that share a key, and attach each group to the best-ranked existing lead."""
    rows = keys.height
    parent = list(range(rows))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    owner: dict[Key, int] = {}
    best_hit: list[tuple[int, int] | None] = [None] * rows  # (priority, lead id)
    columns = {name: keys[name].to_list() for name in STRONG_KEYS + WEAK_KEYS}
    for i in range(rows):
        if not usable[i]:
            continue
        strong = [(t, columns[t][i]) for t in STRONG_KEYS if columns[t][i] is not None]
        weak = [(t, columns[t][i]) for t in WEAK_KEYS if columns[t][i] is not None]
        deciding = strong or weak
        for key in deciding:
            if key in owner:
                union(i, owner[key])
            else:
                owner[key] = i
            lead = existing.get(key)
            if lead is not None:
                hit = (KEY_PRIORITY[key[0]], lead)
                current = best_hit[i]
                if current is None or hit < current:
                    best_hit[i] = hit
        if strong:
            for key in weak:  # registered so weak-only rows can find this one, never unioned
                owner.setdefault(key, i)

    group_hit: dict[int, tuple[int, int]] = {}
    for i, found in enumerate(best_hit):
        if found is None:
            continue
        root = find(i)
        if root not in group_hit or found < group_hit[root]:
            group_hit[root] = found
    groups = [find(i) for i in range(rows)]
    existing_lead = [
        group_hit[g][1] if usable[i] and g in group_hit else None for i, g in enumerate(groups)
    ]
    return Resolution(existing_lead=existing_lead, group=groups)
