"""Prospect lists: a LinkedIn Sales Navigator scrape and a webinar's sign-up sheet."""

from __future__ import annotations

import numpy as np
import polars as pl

from leadrank.sample import messy
from leadrank.sample.columns import IntArray, Rng, pick, strings
from leadrank.sample.companies import Companies, mixed_phones
from leadrank.sample.people import People
from leadrank.sample.places import CITIES, COUNTRIES
from leadrank.sample.vendors import HEADCOUNT_EDGES, TITLE_NAMES
from leadrank.sample.vocab import INDUSTRIES

LINKEDIN_SIZES = tuple(
    f"{band} employees"
    for band in (
        "1-10", "11-50", "51-200", "201-500", "501-1,000", "1,001-5,000", "5,001-10,000",
        "10,001+",
    )
)  # fmt: skip
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com")
ROLE_MAILBOXES = ("info", "sales", "contact", "hello", "marketing")


def salesnav_leads(rng: Rng, people: People, companies: Companies, who: IntArray) -> pl.DataFrame:
    """Sales Navigator leads: no email, a profile URL in any of its spellings, a location line."""
    company, city, country = people.company[who], people.city[who], people.country[who]
    v = pl.col("v")
    profile = messy.choose(
        rng,
        people.linkedin.gather(who),
        (
            (0.45, "https://www.linkedin.com/in/" + v),
            (0.15, "linkedin.com/in/" + v + "/?trk=abc"),
            (0.12, "https://www.linkedin.com/in/" + v + "/"),
            (0.08, "https://www.LinkedIn.com/in/" + v.str.to_uppercase()),
            (0.1, "http://linkedin.com/in/" + v),
            (0.1, "https://uk.linkedin.com/in/" + v),
        ),
    )
    places = pl.DataFrame(
        {
            "metro": strings([c.metro for c in CITIES], city),
            "city": strings([c.name for c in CITIES], city),
            "state": strings([c.state for c in CITIES], city),
            "country": strings([c.name for c in COUNTRIES], country),
            "style": pick(rng, who.size, (0.7, 0.2, 0.05, 0.05)),
        }
    )
    location = places.select(
        pl.when(pl.col("style") == 0)
        .then(pl.concat_str("metro", "state", "country", separator=", "))
        .when(pl.col("style") == 1)
        .then(pl.concat_str("city", "state", "country", separator=", "))
        .when(pl.col("style") == 2)
        .then(pl.col("country"))
        .otherwise(pl.col("metro"))
    ).to_series()
    band = np.searchsorted(HEADCOUNT_EDGES, companies.employees[company], side="left")
    frame = pl.DataFrame(
        {
            "firstName": people.first_name.gather(who),
            "lastName": people.last_name.gather(who),
            "title": strings(TITLE_NAMES, people.title[who]),
            "companyName": companies.name.gather(company),
            "location": location,
            "profileUrl": profile,
            "companySize": strings(LINKEDIN_SIZES, band),
            "industry": strings([i.linkedin for i in INDUSTRIES], companies.industry[company]),
        }
    )
    frame = messy.blanks(
        rng, frame, {"title": 0.05, "location": 0.04, "companySize": 0.2, "industry": 0.15}
    )
    frame = messy.placeholders(rng, frame, ("title",), 0.01)
    frame = messy.stray_spaces(rng, frame, ("firstName", "lastName", "companyName", "title"), 0.03)
    frame = messy.anonymous_rows(rng, frame, ("firstName", "lastName", "profileUrl"), 0.01)
    return messy.with_duplicates(rng, frame, 0.03)


def webinar_signups(rng: Rng, people: People, companies: Companies, who: IntArray) -> pl.DataFrame:
    """A webinar sign-up sheet: self-typed, with private and shared mailboxes and typos."""
    company, city = people.company[who], people.city[who]
    n = who.size
    first = people.first_name.gather(who)
    last = people.last_name.gather(who)
    parts = pl.DataFrame(
        {
            "work": people.email.gather(who),
            "f": _mailbox_name(first),
            "l": _mailbox_name(last),
            "sep": strings((".", "", "_"), pick(rng, n, (0.6, 0.3, 0.1))),
            "digits": pl.Series(values=rng.integers(1, 99, n)).cast(pl.String),
            "numbered": rng.random(n) < 0.4,
            "free": strings(FREE_MAIL, pick(rng, n, (0.55, 0.15, 0.15, 0.15))),
            "role": strings(ROLE_MAILBOXES, rng.integers(0, len(ROLE_MAILBOXES), n)),
            "domain": companies.domain.gather(company),
            "kind": pick(rng, n, (0.72, 0.2, 0.05, 0.03)),
        }
    )
    private = pl.concat_str(
        "f", "sep", "l", pl.when(pl.col("numbered")).then(pl.col("digits")).otherwise(pl.lit(""))
    )
    email = parts.select(
        pl.when(pl.col("kind") == 0)
        .then(pl.col("work"))
        .when(pl.col("kind") == 1)
        .then(pl.concat_str(private, pl.lit("@"), "free"))
        .when(pl.col("kind") == 2)
        .then(pl.concat_str("role", pl.lit("@"), "domain"))
        .otherwise(pl.col("work").str.to_uppercase())
    ).to_series()
    v = pl.col("v")
    country_name = strings([c.name for c in COUNTRIES], people.country[who])
    by_name = pl.Series(values=rng.random(n) < 0.7)
    frame = pl.DataFrame(
        {
            "E-mail Address": email,
            "Full Name": messy.choose(
                rng,
                first + " " + last,
                ((0.1, v.str.to_lowercase()), (0.03, v.str.to_uppercase()), (0.87, v)),
            ),
            "Company Name": companies.name.gather(company),
            "Job Title": strings(TITLE_NAMES, people.title[who]),
            "Country": country_name.zip_with(
                by_name, strings([c.code for c in COUNTRIES], people.country[who])
            ),
            "Phone": mixed_phones(
                rng, people.mobile.gather(who), city, {"international": 0.55, "national": 0.45}
            ),
        }
    )
    frame = messy.typos(rng, frame, "Company Name", 0.05)
    frame = messy.blanks(
        rng, frame, {"Job Title": 0.2, "Country": 0.1, "Phone": 0.35, "Company Name": 0.05}
    )
    frame = messy.placeholders(rng, frame, ("Job Title", "Phone"), 0.01)
    frame = messy.stray_spaces(rng, frame, ("Full Name", "Company Name"), 0.03)
    frame = messy.broken_emails(rng, frame, "E-mail Address", 0.02)
    frame = messy.anonymous_rows(rng, frame, ("E-mail Address", "Full Name", "Phone"), 0.01)
    return messy.with_duplicates(rng, frame, 0.03)


def _mailbox_name(names: pl.Series) -> pl.Series:
    """A name as people write it in a private address: ASCII letters only, lowercase."""
    return (
        names.str.replace_all("ß", "ss")
        .str.normalize("NFKD")
        .str.replace_all(r"[^A-Za-z]", "")
        .str.to_lowercase()
    )
