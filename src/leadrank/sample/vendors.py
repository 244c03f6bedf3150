"""Contact exports of a data vendor (Apollo) and a CRM (HubSpot), with their usual mess."""

from __future__ import annotations

import numpy as np
import polars as pl

from leadrank.sample import messy
from leadrank.sample.columns import IntArray, Rng, hex_ids, mixed_times, pick, strings
from leadrank.sample.companies import Companies, mixed_phones, spell_phones
from leadrank.sample.people import People
from leadrank.sample.places import CITIES, COUNTRIES
from leadrank.sample.roles import APOLLO_DEPARTMENTS, TITLES
from leadrank.sample.vocab import INDUSTRIES

TITLE_NAMES = tuple(t.title for t in TITLES)
HEADCOUNT_EDGES = np.array([10, 50, 200, 500, 1_000, 5_000, 10_000])
HEADCOUNT_RANGES = (
    "1-10", "11-50", "51-200", "201-500", "501-1,000", "1,001-5,000", "5,001-10,000", "10k+",
)  # fmt: skip
REVENUE_EDGES = np.array([1e6, 1e7, 5e7, 1e8, 5e8, 1e9])
REVENUE_RANGES = (
    "<$1M", "$1M-$10M", "$10M-$50M", "$50M-$100M", "$100M-$500M", "$500M-$1B", "$1B+",
)  # fmt: skip
KEYWORDS = (
    "saas, b2b, cloud software, api, developer tools",
    "it consulting, managed services, cloud migration, cybersecurity",
    "fintech, payments, lending, wealth management",
    "healthcare, digital health, medical devices, patient care",
    "industrial automation, machinery, oem, supply chain",
    "e-commerce, retail, consumer goods, omnichannel",
    "edtech, online learning, higher education",
    "freight, logistics, warehousing, last mile",
    "advertising, performance marketing, branding, content",
    "renewables, oil & gas, utilities, energy storage",
    "strategy consulting, operations, transformation",
    "public sector, government services, civic tech",
)
LEAD_STATUSES = (
    "New", "Open", "In Progress", "Open Deal", "Unqualified", "Attempted to Contact",
    "Connected", "Bad Timing",
)  # fmt: skip
OWNERS = ("Ana Ruiz", "Ben Okafor", "Chen Wei", "Dana Levi", "")  # "": nobody yet
LIFECYCLE_STAGES = (
    "Subscriber", "Lead", "Marketing Qualified Lead", "Sales Qualified Lead", "Opportunity",
    "Customer", "Other",
)  # fmt: skip
NOTES = (
    "Met at SaaStr; follow up in Q3",
    "Interested in pricing, asked for a demo",
    "Called twice\nno answer",
    "Prefers email; no cold calls",
    "Referred by partner, warm intro",
    "Budget ~€50k approved for next year",
    "Uses a competitor; contract ends in June",
    "Left voicemail\nwill retry Friday",
    "Asked about GDPR, SOC 2 and SSO",
    'Champion says "needs buy-in from the CFO"',
    "Downloaded the playbook",
    "Bounced once – check the address",
)


def _text(values: IntArray | np.ndarray) -> pl.Series:
    return pl.Series(values=values, dtype=pl.Int64).cast(pl.String)


def _company_name(rng: Rng, companies: Companies, company: IntArray, legal: float) -> pl.Series:
    """The company's everyday name, or now and then its legal name with a suffix."""
    use_legal = pl.Series(values=rng.random(company.size) < legal)
    return companies.legal_name.gather(company).zip_with(use_legal, companies.name.gather(company))


def apollo_contacts(rng: Rng, people: People, companies: Companies, who: IntArray) -> pl.DataFrame:
    """Apollo's CSV export: clean-ish, international phones, plain numbers, http:// URLs."""
    company, title, city = people.company[who], people.title[who], people.city[who]
    industry = companies.industry[company]
    frame = pl.DataFrame(
        {
            "First Name": people.first_name.gather(who),
            "Last Name": people.last_name.gather(who),
            "Title": strings(TITLE_NAMES, title),
            "Company": _company_name(rng, companies, company, 0.2),
            "Company Name for Emails": companies.name.gather(company),
            "Email": people.email.gather(who),
            "Email Status": strings(
                ("Verified", "Unverified", "Extrapolated"), pick(rng, who.size, (0.7, 0.2, 0.1))
            ),
            "Seniority": strings([t.apollo for t in TITLES], title),
            "Departments": strings([APOLLO_DEPARTMENTS[t.department] for t in TITLES], title),
            "Work Direct Phone": mixed_phones(
                rng, people.phone.gather(who), city, {"international": 0.7, "e164": 0.3}
            ),
            "Mobile Phone": mixed_phones(
                rng, people.mobile.gather(who), city, {"international": 0.8, "e164": 0.2}
            ),
            "Corporate Phone": spell_phones(
                companies.phone.gather(company), companies.city[company], "international"
            ),
            "# Employees": _text(companies.employees[company]),
            "Industry": strings([i.apollo for i in INDUSTRIES], industry),
            "Keywords": strings(KEYWORDS, industry),
            "Person Linkedin Url": "http://www.linkedin.com/in/" + people.linkedin.gather(who),
            "Website": "http://www." + companies.domain.gather(company),
            "Company Linkedin Url": "http://www.linkedin.com/company/"
            + companies.slug.gather(company),
            "City": strings([c.name for c in CITIES], city),
            "State": strings([c.state for c in CITIES], city),
            "Country": strings([c.name for c in COUNTRIES], people.country[who]),
            "Annual Revenue": _text(companies.revenue[company]),
            "Apollo Contact Id": hex_ids(rng, who.size, 12),
        }
    )
    frame = messy.blanks(
        rng,
        frame,
        {
            "Title": 0.06, "Email": 0.12, "Work Direct Phone": 0.55, "Mobile Phone": 0.7,
            "Corporate Phone": 0.35, "# Employees": 0.1, "Industry": 0.1, "Keywords": 0.3,
            "Person Linkedin Url": 0.15, "Website": 0.05, "Company Linkedin Url": 0.2,
            "City": 0.12, "State": 0.2, "Country": 0.05, "Annual Revenue": 0.25,
        },
    )  # fmt: skip
    frame = frame.with_columns(
        pl.when(pl.col("Email").is_null())
        .then(pl.lit("Unavailable"))
        .otherwise(pl.col("Email Status"))
        .alias("Email Status")
    )
    frame = messy.placeholders(rng, frame, ("Title", "City", "Annual Revenue"), 0.01)
    frame = messy.stray_spaces(rng, frame, ("First Name", "Last Name", "Company", "Title"), 0.03)
    frame = messy.broken_emails(rng, frame, "Email", 0.02)
    frame = messy.anonymous_rows(
        rng,
        frame,
        ("First Name", "Last Name", "Email", "Work Direct Phone", "Mobile Phone",
         "Corporate Phone", "Person Linkedin Url", "Apollo Contact Id"),
        0.01,
    )  # fmt: skip
    return messy.with_duplicates(rng, frame, 0.03)


def hubspot_contacts(rng: Rng, people: People, companies: Companies, who: IntArray) -> pl.DataFrame:
    """A HubSpot export: hand-typed countries, national phones, ranges, mixed dates, notes."""
    company, city = people.company[who], people.city[who]
    v = pl.col("v")
    cased = ((0.05, v.str.to_lowercase()), (0.02, v.str.to_uppercase()), (0.93, v))
    spellings = [s for c in COUNTRIES for s in c.spellings]
    counts = np.array([len(c.spellings) for c in COUNTRIES])
    spelling = (np.cumsum(counts) - counts)[people.country[who]] + (
        rng.random(who.size) * counts[people.country[who]]
    ).astype(np.int64)
    revenue = companies.revenue[company]
    frame = pl.DataFrame(
        {
            "Record ID": _text(np.sort(rng.choice(10**9, who.size, replace=False)) + 10**9),
            "First Name": messy.choose(rng, people.first_name.gather(who), cased),
            "Last Name": messy.choose(rng, people.last_name.gather(who), cased),
            "Email": messy.choose(
                rng,
                people.email.gather(who),
                (
                    (0.05, v.str.to_uppercase()),
                    (0.02, "mailto:" + v),
                    (0.05, " " + v + " "),
                    (0.88, v),
                ),
            ),
            "Phone Number": mixed_phones(
                rng,
                people.phone.gather(who),
                city,
                {"national": 0.55, "international": 0.3, "e164": 0.15},
            ),
            "Job Title": messy.choose(rng, strings(TITLE_NAMES, people.title[who]), cased),
            "Company Name": messy.choose(
                rng,
                _company_name(rng, companies, company, 0.25),
                ((0.05, v.str.to_lowercase()), (0.95, v)),
            ),
            "Country/Region": strings(spellings, spelling),
            "City": strings([c.name for c in CITIES], city),
            "Number of Employees": _headcount(rng, companies.employees[company]),
            "Annual Revenue": _revenue(rng, revenue),
            "Create Date": mixed_times(
                rng, people.created[who], ("%Y-%m-%d", "%m/%d/%Y %H:%M", "%Y-%m-%dT%H:%M:%SZ")
            ),
            "Lead Status": strings(LEAD_STATUSES, rng.integers(0, len(LEAD_STATUSES), who.size)),
            "Lifecycle Stage": strings(
                LIFECYCLE_STAGES, pick(rng, who.size, (0.15, 0.45, 0.15, 0.1, 0.05, 0.03, 0.07))
            ),
            "Notes": strings(NOTES, rng.integers(0, len(NOTES), who.size)),
            # From the person, not from the generator, so the other columns stay as they were.
            "Contact owner": strings(OWNERS, who % len(OWNERS)),
        }
    )
    frame = messy.blanks(
        rng,
        frame,
        {
            "Email": 0.08, "Phone Number": 0.4, "Job Title": 0.15, "Company Name": 0.06,
            "Country/Region": 0.15, "City": 0.25, "Number of Employees": 0.3,
            "Annual Revenue": 0.35, "Lead Status": 0.1, "Lifecycle Stage": 0.05, "Notes": 0.75,
        },
    )  # fmt: skip
    frame = messy.placeholders(rng, frame, ("Phone Number", "Job Title", "City"), 0.01)
    frame = messy.stray_spaces(
        rng, frame, ("First Name", "Last Name", "Company Name", "Job Title"), 0.03
    )
    frame = messy.broken_emails(rng, frame, "Email", 0.02)
    frame = messy.anonymous_rows(
        rng, frame, ("Record ID", "First Name", "Last Name", "Email", "Phone Number"), 0.01
    )
    return messy.with_duplicates(rng, frame, 0.03)


def _headcount(rng: Rng, employees: IntArray) -> pl.Series:
    """Mostly HubSpot's ranges ("51-200", "10k+"), sometimes the exact number."""
    ranges = strings(HEADCOUNT_RANGES, np.searchsorted(HEADCOUNT_EDGES, employees, side="left"))
    exact = pl.Series(values=rng.random(employees.size) < 0.2)
    return _text(employees).zip_with(exact, ranges)


def _revenue(rng: Rng, revenue: IntArray) -> pl.Series:
    """Revenue as a band ("$10M-$50M"), a short figure ("12.5M", "1.2B"), or plain dollars."""
    bands = strings(REVENUE_RANGES, np.searchsorted(REVENUE_EDGES, revenue, side="right"))
    short = pl.DataFrame({"r": revenue}).select(
        pl.when(pl.col("r") >= 1e9)
        .then((pl.col("r") / 1e9).round(1).cast(pl.String) + "B")
        .when(pl.col("r") >= 1e6)
        .then((pl.col("r") / 1e6).round(1).cast(pl.String) + "M")
        .otherwise((pl.col("r") / 1e3).round(0).cast(pl.Int64).cast(pl.String) + "K")
    )
    style = pl.Series(values=pick(rng, revenue.size, (0.6, 0.25, 0.15)))
    return (
        pl.DataFrame(
            {"s": style, "band": bands, "short": short.to_series(), "plain": _text(revenue)}
        )
        .select(
            pl.when(pl.col("s") == 0)
            .then(pl.col("band"))
            .when(pl.col("s") == 1)
            .then(pl.col("short"))
            .otherwise(pl.col("plain"))
        )
        .to_series()
    )
