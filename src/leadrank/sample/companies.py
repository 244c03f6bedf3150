"""The company pool: names, domains, industries, sizes, revenue and headquarters."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from leadrank.sample.columns import (
    FloatArray,
    IntArray,
    Rng,
    by_group,
    occurrence,
    pick,
    pick_in_groups,
    spell,
    strings,
)
from leadrank.sample.places import CITIES, COUNTRIES, PHONE_PLANS, PLAN_KEYS
from leadrank.sample.vocab import INDUSTRIES, NAME_PREFIXES, NAME_ROOTS

# Email local-part conventions, one per company: first.last@, flast@, firstlast@, first@.
EMAIL_PATTERNS = ("first.last", "flast", "firstlast", "first")
SIZE_BANDS = (10, 50, 200, 1_000, 5_000)  # upper bounds; above the last is "5001+"
SIZE_FIT = (-1.0, -0.3, 0.4, 0.5, 0.2, -0.2)


@dataclass(frozen=True)
class Companies:
    """One row per company; strings as Series, the rest as arrays."""

    name: pl.Series  # "Brightwave Analytics"
    legal_name: pl.Series  # "Brightwave Analytics Inc."
    domain: pl.Series  # "brightwave.io"
    slug: pl.Series  # "brightwave-analytics", for its LinkedIn page
    phone: pl.Series  # switchboard, national significant number
    industry: IntArray
    employees: IntArray
    revenue: IntArray
    country: IntArray
    city: IntArray
    email_pattern: IntArray

    @property
    def size_band(self) -> IntArray:
        """Index of each company's headcount band (0: 1-10 ... 5: 5001+)."""
        return np.searchsorted(np.array(SIZE_BANDS), self.employees, side="left").astype(np.int64)


@cache
def _descriptors() -> tuple[tuple[str, ...], IntArray, FloatArray]:
    """Every (industry, descriptor) pair, with its industry and its weight."""
    names, industry, weight = [], [], []
    for index, item in enumerate(INDUSTRIES):
        for descriptor in item.descriptors:
            names.append(descriptor)
            industry.append(index)
            weight.append(item.weight / len(item.descriptors))
    return tuple(names), np.array(industry, dtype=np.int64), np.array(weight)


@cache
def city_tables() -> tuple[IntArray, FloatArray, IntArray]:
    """Per city: its country index, its weight, and its phone plan index."""
    country = np.array([[c.code for c in COUNTRIES].index(city.country) for city in CITIES])
    plan = [city.plan or COUNTRIES[country[i]].plan for i, city in enumerate(CITIES)]
    return (
        country.astype(np.int64),
        np.array([city.weight for city in CITIES]),
        np.array([PLAN_KEYS.index(p) for p in plan], dtype=np.int64),
    )


def phone_digits(rng: Rng, city: IntArray) -> pl.Series:
    """A national significant number per row, in the numbering plan of the row's city."""
    _, _, plan_of_city = city_tables()
    areas = [area for item in CITIES for area in item.areas]
    area_count = np.array([len(item.areas) for item in CITIES])
    area_start = np.cumsum(area_count) - area_count
    area = area_start[city] + (rng.random(city.size) * area_count[city]).astype(np.int64)
    plans = [PHONE_PLANS[key] for key in PLAN_KEYS]
    plan = plan_of_city[city]
    low = np.array([p.low for p in plans])[plan]
    high = np.array([p.high for p in plans])[plan]
    rest = low + (rng.random(city.size) * (high - low + 1)).astype(np.int64)
    # North American exchanges never end in 11 (service codes), and 555 is mostly unassigned.
    nanp = plan == PLAN_KEYS.index("nanp")
    rest = np.where(nanp & (rest // 10_000 % 100 == 11), rest + 10_000, rest)
    rest = np.where(nanp & (rest // 10_000 == 555), rest + 10_000, rest)
    rest = np.minimum(rest, high)
    return strings(areas, area) + pl.Series(values=rest, dtype=pl.Int64).cast(pl.String)


def spell_phones(digits: pl.Series, city: IntArray, style: str) -> pl.Series:
    """Numbers written the way a plan does: "international", "national" or "e164"."""
    _, _, plan_of_city = city_tables()
    plans = [PHONE_PLANS[key] for key in PLAN_KEYS]

    def build(g: int, rows: IntArray) -> pl.Series:
        plan = plans[g]
        if style == "e164":
            return ("+" + plan.country_code) + digits.gather(rows)
        return spell(digits.gather(rows), getattr(plan, style))

    return by_group(plan_of_city[city], len(plans), build)


def mixed_phones(
    rng: Rng, digits: pl.Series, city: IntArray, styles: dict[str, float]
) -> pl.Series:
    """Numbers written in a mix of styles, each row drawn with the given probabilities."""
    names = list(styles)
    style = pick(rng, city.size, list(styles.values()))
    return by_group(
        style, len(names), lambda g, rows: spell_phones(digits.gather(rows), city[rows], names[g])
    )


def build_companies(rng: Rng, count: int) -> Companies:
    """`count` distinct companies with plausible names, domains and sizes."""
    descriptors, desc_industry, desc_weight = _descriptors()
    p, r, d = len(NAME_PREFIXES), len(NAME_ROOTS), len(descriptors)
    # Weighted sampling without replacement (Gumbel top-k) over prefix x root x descriptor.
    weight = np.tile(desc_weight, p * r)
    keys = np.log(weight) - np.log(-np.log(rng.random(weight.size)))
    if count < keys.size:
        top = np.argpartition(-keys, count - 1)[:count]
        order = top[np.argsort(-keys[top], kind="stable")]
    else:
        order = np.argsort(-keys, kind="stable")
    combo = np.resize(order, count).astype(np.int64)  # repeats only past p*r*d companies
    prefix, root, desc = combo // (r * d), combo // d % r, combo % d
    industry = desc_industry[desc]
    stem = strings(NAME_PREFIXES, prefix) + strings(NAME_ROOTS, root)
    name = stem + " " + strings(descriptors, desc)

    country = pick(rng, count, [c.weight for c in COUNTRIES])
    city_country, city_weight, _ = city_tables()
    city = pick_in_groups(rng, country, city_country, city_weight)
    employees = np.clip(np.rint(np.exp(rng.normal(np.log(90), 1.7, count))), 1, 50_000)
    per_head = np.exp(rng.normal(np.log(150_000), 0.5, count))
    revenue = _round_to(employees * per_head, 3)

    # Domains: the stem alone for its first company, then stem + descriptor, then numbered.
    desc_names = sorted(set(descriptors))
    desc_id = np.array([desc_names.index(x) for x in descriptors], dtype=np.int64)[desc]
    first_of_stem = occurrence(prefix * r + root) == 0
    repeat = occurrence((prefix * r + root) * len(desc_names) + desc_id)
    frame = pl.DataFrame(
        {
            "stem": _fold(stem),
            "desc": _fold(strings(descriptors, desc)),
            "tld": _tld(rng, country),
            "first": first_of_stem,
            "n": repeat,
        }
    )
    domain = frame.select(
        pl.when(pl.col("first"))
        .then(pl.col("stem"))
        .when(pl.col("n") == 0)
        .then(pl.col("stem") + pl.col("desc"))
        .otherwise(pl.col("stem") + pl.col("desc") + pl.col("n").cast(pl.String))
        + "."
        + pl.col("tld")
    ).to_series()

    suffixes = [s for c in COUNTRIES for s in c.legal_suffixes]
    counts = np.array([len(c.legal_suffixes) for c in COUNTRIES])
    starts = np.cumsum(counts) - counts
    suffix = starts[country] + (rng.random(count) * counts[country]).astype(np.int64)
    small = employees <= 50
    email_pattern = np.where(
        small, pick(rng, count, (0.5, 0.15, 0.1, 0.25)), pick(rng, count, (0.7, 0.2, 0.1, 0.0))
    )
    return Companies(
        name=name,
        legal_name=name + " " + strings(suffixes, suffix),
        domain=domain,
        slug=name.str.to_lowercase().str.replace_all(" ", "-"),
        phone=phone_digits(rng, city),
        industry=industry,
        employees=employees.astype(np.int64),
        revenue=revenue,
        country=country,
        city=city,
        email_pattern=email_pattern.astype(np.int64),
    )


def _fold(values: pl.Series) -> pl.Series:
    """Company words are plain ASCII already; lowercase them for domains."""
    return values.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")


def _tld(rng: Rng, country: IntArray) -> pl.Series:
    tlds = [t for c in COUNTRIES for t in c.tlds]
    counts = np.array([len(c.tlds) for c in COUNTRIES])
    starts = np.cumsum(counts) - counts
    index = starts[country] + (rng.random(country.size) * counts[country]).astype(np.int64)
    return strings(tlds, index)


def _round_to(values: FloatArray, digits: int) -> IntArray:
    """Round to a few significant digits, as vendors estimate revenue."""
    scale = 10.0 ** (np.floor(np.log10(np.maximum(values, 1.0))) - (digits - 1))
    return (np.rint(values / scale) * scale).astype(np.int64)
