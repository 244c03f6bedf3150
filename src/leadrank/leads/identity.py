"""Exact-key identity: which rows of a batch are the same lead, and which existing lead they are.

Keys, strongest first: normalised email, LinkedIn URL, a source's own record id. Weak keys (phone,
name at company) decide only for rows that carry no strong key: a switchboard number shared by
two people with different emails must not merge them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from leadrank.normalize.company import company_name_key
from leadrank.normalize.values import blank_to_null

STRONG_KEYS = ("email", "linkedin", "ext")
WEAK_KEYS = ("phone", "name")
KEY_PRIORITY = {name: rank for rank, name in enumerate(STRONG_KEYS + WEAK_KEYS)}

Key = tuple[str, str]


def company_match_keys(frame: pl.DataFrame) -> list[pl.Series]:
    """Per row: company_key ("domain:<registrable domain>", else "name:<name key>", else
    null) and company_name_key (the comparable name)."""
    names = frame["company_name"].unique().drop_nulls().to_list()
    name_keys = {name: bounded_key(company_name_key(name)) for name in names}
    by_name = frame["company_name"].replace_strict(name_keys, default=None, return_dtype=pl.String)
    keys = frame.select(
        pl.when(pl.col("company_domain").is_not_null())
        .then(pl.lit("domain:") + pl.col("company_domain"))
        .otherwise(pl.lit("name:") + by_name)
        .alias("company_key")
    ).to_series()
    return [keys, by_name.alias("company_name_key")]


# Keys are stored in columns of bounded width; a longer value is stored as its digest.
MAX_KEY_CHARS = 250


def bounded_key(value: str | None) -> str | None:
    """The value itself, or "sha256:<digest>" when it is too long to store as a key."""
    if value is None or len(value) <= MAX_KEY_CHARS:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _bounded(keys: pl.DataFrame) -> pl.DataFrame:
    long = {
        value: bounded_key(value)
        for name in keys.columns
        for value in keys[name].filter(keys[name].str.len_chars() > MAX_KEY_CHARS).to_list()
    }
    if not long:
        return keys
    return keys.with_columns(pl.col(keys.columns).replace(long))


def usable_record_id(raw: pl.Expr) -> pl.Expr:
    """A source's record id, or null for placeholders ("N/A", "-", "0") that name no record."""
    tidy = blank_to_null(raw)
    return pl.when(~tidy.str.contains(r"^0+$")).then(tidy)


def lead_key_columns(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    """The identity keys of each cleaned row, one column per key type (null when absent)."""
    name_key = pl.col("full_name").str.to_lowercase() + pl.lit("|") + pl.col("company_key")
    keys = frame.select(
        pl.when(pl.col("email_valid")).then(pl.col("email")).alias("email"),
        pl.col("linkedin_url").alias("linkedin"),
        (pl.lit(f"{source}:") + usable_record_id(pl.col("external_id"))).alias("ext"),
        pl.col("phone_e164").alias("phone"),
        name_key.alias("name"),
    )
    return _bounded(keys)


@dataclass(frozen=True)
class Resolution:
    """Per row: the existing lead it belongs to (or None) and its group within the batch."""

    existing_lead: list[int | None]
    group: list[int]


def resolve(keys: pl.DataFrame, existing: dict[Key, int], usable: Sequence[bool]) -> Resolution:
    """Group rows that share a key, and attach each group to the best-ranked existing lead.

    Rows with a strong key are grouped first, so the result does not depend on row order. Two
    groups never merge when they hold different values of one strong key type (two emails:
    two people, whatever record id or URL they share). A weak key (phone, name at company)
    joins a row that has no strong key to a group only when their names do not differ. All
    groups that found the same existing lead become one.
    """
    rows = keys.height
    groups = _Groups(rows)
    columns = {name: keys[name].to_list() for name in STRONG_KEYS + WEAK_KEYS}
    names = columns["name"]
    owner: dict[Key, int] = {}
    best_hit: list[tuple[int, int] | None] = [None] * rows  # (priority, lead id)
    strong_rows = [i for i in range(rows) if usable[i] and _strong(columns, i)]
    weak_rows = [i for i in range(rows) if usable[i] and not _strong(columns, i)]
    for i in strong_rows:
        groups.claim(i, {t: columns[t][i] for t in STRONG_KEYS if columns[t][i] is not None})
    for i in [*strong_rows, *weak_rows]:
        strong = [(t, columns[t][i]) for t in STRONG_KEYS if columns[t][i] is not None]
        weak = [(t, columns[t][i]) for t in WEAK_KEYS if columns[t][i] is not None]
        for key in strong or weak:
            if key in owner:
                other = owner[key]
                if strong or _same_person(names[i], names[other]):
                    groups.union(i, other)
            else:
                owner[key] = i
            lead = existing.get(key)
            if lead is not None and (strong or key[0] == "name" or names[i] is None):
                hit, current = (KEY_PRIORITY[key[0]], lead), best_hit[i]
                if current is None or hit < current:
                    best_hit[i] = hit
        if strong:
            for key in weak:  # registered so weak-only rows can find this one, never unioned
                owner.setdefault(key, i)

    group_hit: dict[int, tuple[int, int]] = {}
    for i, found in enumerate(best_hit):
        root = groups.find(i)
        if found is not None and (root not in group_hit or found < group_hit[root]):
            group_hit[root] = found
    by_lead: dict[int, int] = {}
    for root, (_, lead) in group_hit.items():  # one group per existing lead
        if lead in by_lead:
            groups.union(root, by_lead[lead], force=True)
        else:
            by_lead[lead] = root
    lead_of_root = {groups.find(root): lead for lead, root in by_lead.items()}
    final = [groups.find(i) for i in range(rows)]
    existing_lead = [lead_of_root.get(g) if usable[i] else None for i, g in enumerate(final)]
    return Resolution(existing_lead=existing_lead, group=final)


def _strong(columns: dict[str, list[str | None]], row: int) -> bool:
    return any(columns[t][row] is not None for t in STRONG_KEYS)


def _same_person(name: str | None, other: str | None) -> bool:
    """Weak keys are shared by colleagues (a switchboard number): different names differ."""
    return name is None or other is None or name == other


class _Groups:
    """Union-find over rows that refuses to merge groups with conflicting strong keys."""

    def __init__(self, rows: int) -> None:
        self.parent = list(range(rows))
        self.keys: dict[int, dict[str, str]] = {}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def claim(self, i: int, keys: dict[str, str]) -> None:
        self.keys[self.find(i)] = keys

    def union(self, a: int, b: int, *, force: bool = False) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        ka, kb = self.keys.get(ra, {}), self.keys.get(rb, {})
        if not force and any(t in kb and kb[t] != v for t, v in ka.items()):
            return
        low, high = min(ra, rb), max(ra, rb)
        self.parent[high] = low
        self.keys[low] = {**kb, **ka} if low == ra else {**ka, **kb}
        self.keys.pop(high, None)
