"""The people of the sample: who they are, where they work, and their latent fit and engagement."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from leadrank.sample.columns import (
    DAY,
    END,
    START,
    FloatArray,
    IntArray,
    Rng,
    occurrence,
    pick,
    pick_in_groups,
    strings,
    unique_numbers,
)
from leadrank.sample.companies import (
    EMAIL_PATTERNS,
    SIZE_FIT,
    Companies,
    city_tables,
    phone_digits,
)
from leadrank.sample.places import COUNTRIES
from leadrank.sample.roles import DEPARTMENT_FIT, INTERN_FIT, LEVEL_FIT, TITLES
from leadrank.sample.vocab import CULTURE_KEYS, CULTURES, INDUSTRIES, ascii_fold

# Share of each seniority level (LEVELS order) at companies of up to 50 people, and above.
LEVEL_SHARE_SMALL = (0.18, 0.07, 0.12, 0.2, 0.43)
LEVEL_SHARE_LARGE = (0.04, 0.08, 0.14, 0.26, 0.48)


@dataclass(frozen=True)
class People:
    """One row per person: the truth every vendor file is a partial, noisy view of."""

    first_name: pl.Series
    last_name: pl.Series
    email: pl.Series  # the work address, lowercase
    linkedin: pl.Series  # "jose-garcia-123456": the profile slug
    phone: pl.Series  # direct line, national significant number
    mobile: pl.Series
    company: IntArray
    country: IntArray
    city: IntArray
    title: IntArray
    fit: FloatArray  # how well the person matches who buys (size, industry, role, country)
    engagement: FloatArray  # how keen the person is to hear from us
    created: IntArray  # when the person entered the CRM, epoch seconds

    @property
    def count(self) -> int:
        """How many people."""
        return int(self.company.size)


@dataclass(frozen=True)
class _Names:
    first: tuple[str, ...]
    last: tuple[str, ...]
    first_start: IntArray
    first_count: IntArray
    last_start: IntArray
    last_count: IntArray


@cache
def _names() -> _Names:
    first = [name for culture in CULTURES for name in culture.first]
    last = [name for culture in CULTURES for name in culture.last]
    first_count = np.array([len(c.first) for c in CULTURES], dtype=np.int64)
    last_count = np.array([len(c.last) for c in CULTURES], dtype=np.int64)
    return _Names(
        tuple(first),
        tuple(last),
        np.cumsum(first_count) - first_count,
        first_count,
        np.cumsum(last_count) - last_count,
        last_count,
    )


def _ids(values: list[str]) -> IntArray:
    """Equal strings share an id: the same folded name in two cultures is one email name."""
    seen: dict[str, int] = {}
    return np.array([seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)


def build_people(rng: Rng, count: int, companies: Companies) -> People:
    """`count` distinct people spread over the companies, bigger companies holding more."""
    n = count
    weight = companies.employees.astype(np.float64) ** 0.6
    company = rng.choice(weight.size, size=n, p=weight / weight.sum()).astype(np.int64)
    home = companies.country[company]
    abroad = rng.random(n) < 0.15
    country = np.where(abroad, pick(rng, n, [c.weight for c in COUNTRIES]), home)
    city_country, city_weight, _ = city_tables()
    local_city = pick_in_groups(rng, country, city_country, city_weight)
    at_office = (country == home) & (rng.random(n) < 0.7)
    city = np.where(at_office, companies.city[company], local_city)

    names = _names()
    home_culture = np.array([CULTURE_KEYS.index(c.culture) for c in COUNTRIES])[country]
    mixed = rng.random(n) < 0.3
    culture = np.where(mixed, rng.integers(0, len(CULTURES), n), home_culture)
    first = names.first_start[culture] + (rng.random(n) * names.first_count[culture]).astype(
        np.int64
    )
    last = names.last_start[culture] + (rng.random(n) * names.last_count[culture]).astype(np.int64)

    small = companies.employees[company] <= 50
    title = np.empty(n, dtype=np.int64)
    level_total = np.bincount([t.level for t in TITLES], weights=[t.weight for t in TITLES])
    for mask, shares in ((small, LEVEL_SHARE_SMALL), (~small, LEVEL_SHARE_LARGE)):
        probs = [shares[t.level] * t.weight / level_total[t.level] for t in TITLES]
        title[mask] = pick(rng, int(mask.sum()), probs)

    fit = (
        np.array(SIZE_FIT)[companies.size_band[company]]
        + np.array([i.fit for i in INDUSTRIES])[companies.industry[company]]
        + np.array([c.fit for c in COUNTRIES])[country]
        + _title_fit()[title]
        + rng.normal(0.0, 0.4, n)
    )
    engagement = rng.normal(0.0, 1.0, n) + 0.35 * fit
    return People(
        first_name=strings(names.first, first),
        last_name=strings(names.last, last),
        email=_emails(first, last, company, companies),
        linkedin=_slugs(rng, first, last),
        phone=phone_digits(rng, city),
        mobile=phone_digits(rng, city),
        company=company,
        country=country,
        city=city,
        title=title,
        fit=fit,
        engagement=engagement,
        created=rng.integers(START, END - 30 * DAY, n),
    )


@cache
def _title_fit() -> FloatArray:
    return np.array(
        [
            LEVEL_FIT[t.level]
            + DEPARTMENT_FIT[t.department]
            + (INTERN_FIT * (t.apollo == "intern"))
            for t in TITLES
        ]
    )


def _emails(first: IntArray, last: IntArray, company: IntArray, companies: Companies) -> pl.Series:
    """Work addresses in each company's own convention; namesakes get a number ("john.smith2")."""
    names = _names()
    first_fold = [ascii_fold(x).replace(" ", "") for x in names.first]
    last_fold = [ascii_fold(x).replace(" ", "") for x in names.last]
    first_id, last_id = _ids(first_fold), _ids(last_fold)
    initial_id = _ids([x[:1] for x in first_fold])
    pattern = companies.email_pattern[company]
    flast, first_only = EMAIL_PATTERNS.index("flast"), EMAIL_PATTERNS.index("first")
    f, initial, surname = first_id[first], initial_id[first], last_id[last]
    # Two people clash when their company and the parts of the name its pattern uses agree.
    a = np.where(pattern == flast, initial, f)
    b = np.where(pattern == first_only, 0, surname)
    span_a, span_b = int(first_id.max()) + 1, int(last_id.max()) + 1
    repeat = occurrence(((company * 4 + pattern) * span_a + a) * span_b + b)

    frame = pl.DataFrame(
        {
            "f": strings(first_fold, first),
            "l": strings(last_fold, last),
            "p": pattern,
            "n": repeat,
            "d": companies.domain.gather(company),
        }
    )
    f_, l_ = pl.col("f"), pl.col("l")
    local = (
        pl.when(pl.col("p") == EMAIL_PATTERNS.index("first.last"))
        .then(pl.concat_str(f_, pl.lit("."), l_))
        .when(pl.col("p") == flast)
        .then(pl.concat_str(f_.str.slice(0, 1), l_))
        .when(pl.col("p") == EMAIL_PATTERNS.index("firstlast"))
        .then(pl.concat_str(f_, l_))
        .otherwise(f_)
    )
    numbered = pl.when(pl.col("n") > 0).then(local + (pl.col("n") + 1).cast(pl.String))
    return frame.select(numbered.otherwise(local) + "@" + pl.col("d")).to_series()


def _slugs(rng: Rng, first: IntArray, last: IntArray) -> pl.Series:
    """LinkedIn public profile slugs: "jose-garcia-123456", unique by their number."""
    names = _names()
    first_slug = [ascii_fold(x).replace(" ", "-") for x in names.first]
    last_slug = [ascii_fold(x).replace(" ", "-") for x in names.last]
    number = pl.Series(values=unique_numbers(rng, first.size, 10_000), dtype=pl.Int64)
    return (
        strings(first_slug, first) + "-" + strings(last_slug, last) + "-" + number.cast(pl.String)
    )
