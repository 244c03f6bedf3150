"""A lead list whose duplicates are known: sample people, some of them sent twice with the
differences real lists have. For identity-resolution tests and benchmarks."""

from __future__ import annotations

import numpy as np
import polars as pl

from leadrank.sample.companies import build_companies
from leadrank.sample.messy import typos
from leadrank.sample.people import build_people
from leadrank.sample.places import CITIES


def sample_with_duplicates(
    people_count: int, *, seed: int = 7, again_share: float = 0.2
) -> tuple[pl.DataFrame, pl.Series]:
    """A list of `people_count` sample people, `again_share` of them twice with typos in names
    and emails, swapped names, a missing email or phone, or the company in capitals; and the
    person behind each row (its truth)."""
    rng = np.random.default_rng(seed)
    companies = build_companies(rng, max(20, people_count // 8))
    people = build_people(rng, people_count, companies)
    cities = pl.Series([CITIES[int(c)].name for c in range(len(CITIES))])
    base = pl.DataFrame(
        {
            "person": np.arange(people_count),
            "First Name": people.first_name,
            "Last Name": people.last_name,
            "Email": people.email,
            "Phone": people.phone,
            "Company": companies.name.gather(people.company),
            "City": cities.gather(people.city),
        }
    )
    again = base[rng.choice(people_count, size=int(people_count * again_share), replace=False)]
    again = typos(rng, again, "Last Name", 0.3)
    again = typos(rng, again, "First Name", 0.2)
    again = typos(rng, again, "Email", 0.2)
    swap = pl.Series(rng.random(again.height) < 0.1)
    blank_email = pl.Series(rng.random(again.height) < 0.2)
    blank_phone = pl.Series(rng.random(again.height) < 0.3)
    again = again.with_columns(
        pl.when(swap).then(pl.col("Last Name")).otherwise(pl.col("First Name")).alias("First Name"),
        pl.when(swap).then(pl.col("First Name")).otherwise(pl.col("Last Name")).alias("Last Name"),
        pl.when(blank_email).then(None).otherwise(pl.col("Email")).alias("Email"),
        pl.when(blank_phone).then(None).otherwise(pl.col("Phone")).alias("Phone"),
        pl.col("Company").str.to_uppercase(),
    )
    both = pl.concat([base, again])[rng.permutation(base.height + again.height)]
    return both.drop("person"), both["person"]
