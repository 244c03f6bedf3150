"""Affiliation strings: an organisation, often a department or lab of it, and an address, all in
one free-text cell ("Dept. of Computer Science, University of Lyon, 12 Rue Pasteur, 69007
Lyon, France"), written the many ways papers, grants and letterheads write them. For matching
benchmarks and tests: the truth is given per organisation and per site (organisation and
department).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from leadrank.sample.columns import Rng
from leadrank.sample.companies import build_companies
from leadrank.sample.places import CITIES, COUNTRIES

UNITS = (
    ("Department of Computer Science", "Dept. of Computer Science", "Computer Science Dept."),
    ("Department of Physics", "Dept. of Physics", "Physics Department"),
    ("School of Medicine", "School of Medicine", "Medical School"),
    ("Department of Electrical Engineering", "Dept. of Electrical Eng.", "EE Department"),
    ("Division of Chemistry", "Chemistry Division", "Div. of Chemistry"),
)
STREETS = ("Road", "Street", "Avenue", "Boulevard", "Way")
SHORT_STREETS = {
    "Road": "Rd.",
    "Street": "St.",
    "Avenue": "Ave.",
    "Boulevard": "Blvd.",
    "Way": "Way",
}
LAB_WORDS = ("Research Center", "Research Laboratory", "Research Labs")


def affiliations_with_variants(
    organisations: int, *, seed: int = 13, most_rows: int = 30
) -> tuple[pl.DataFrame, pl.Series, pl.Series]:
    """A one-column list (`affiliation`) of `organisations` universities and company labs,
    each on 1 to `most_rows` rows across its departments; the organisation and the site
    (organisation and department) behind each row."""
    rng = np.random.default_rng(seed)
    companies = build_companies(rng, organisations)
    country_names = {c.code: c.name for c in COUNTRIES}
    rows, organisation_of, site_of = [], [], []
    for org in range(organisations):
        city = CITIES[int(companies.city[org])]
        university = rng.random() < 0.5
        stem = companies.name[org].split(" ")[0]
        name = f"University of {stem}" if university else f"{stem} {rng.choice(LAB_WORDS)}"
        street = f"{int(rng.integers(1, 999))} {stem} {rng.choice(STREETS)}"
        postcode = f"{int(rng.integers(10000, 99999))}"
        units = rng.choice(len(UNITS), size=int(rng.integers(1, 4)), replace=False)
        for _ in range(int(min(rng.zipf(1.8), most_rows))):
            unit = int(rng.choice(units)) if university else -1
            rows.append(
                _written(rng, name, unit, street, postcode, city.name, country_names[city.country])
            )
            organisation_of.append(org)
            site_of.append(org * 10 + unit + 1)
    return (
        pl.DataFrame({"affiliation": rows}),
        pl.Series("organisation", organisation_of),
        pl.Series("site", site_of),
    )


def _written(
    rng: Rng, name: str, unit: int, street: str, postcode: str, city: str, country: str
) -> str:
    """One way of writing an affiliation."""
    draw = rng.random(7)
    if draw[0] < 0.3:
        name = name.replace("University", "Univ.").replace("Research", "Res.")
        name = name.replace("Center", "Ctr.").replace("Laboratory", "Lab.")
    parts = [name]
    if unit >= 0:
        spelled = UNITS[unit][int(rng.integers(0, 3))]
        parts = [spelled, name] if draw[1] < 0.7 else [name, spelled]
    if draw[2] < 0.5:
        words = street.split(" ")
        words[-1] = SHORT_STREETS[words[-1]] if draw[3] < 0.5 else words[-1]
        parts.append(" ".join(words))
    parts.append(city)
    if draw[4] < 0.6:
        parts.append(postcode)
    if draw[5] < 0.7:
        parts.append(country)
    text = ", ".join(parts)
    return text.upper() if draw[6] < 0.1 else text
