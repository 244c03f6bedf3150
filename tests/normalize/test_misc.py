"""Domains, countries, names, job titles, employee and revenue ranges, LinkedIn URLs."""

from __future__ import annotations

import polars as pl
import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadrank.leads.fields import SENIORITY_LEVELS
from leadrank.normalize.country import clean_countries, country_code
from leadrank.normalize.domain import clean_websites, registrable_domain
from leadrank.normalize.linkedin import canonical_company_urls, canonical_profile_urls
from leadrank.normalize.names import (
    capitalise_name,
    clean_names,
    nameparser_split,
    split_full_name,
)
from leadrank.normalize.numbers import clean_counts, parse_range, point_estimate
from leadrank.normalize.titles import clean_titles, department_of, seniority_of, vendor_level
from leadrank.normalize.values import blank_to_null

LOWER = "abcdefghijklmnopqrstuvwxyz"

# --- domains -------------------------------------------------------------------------------------

# At least four characters: no public suffix ("com.io", "co.uk") has a label that long.
label = st.builds(
    lambda head, rest: head + rest.strip("-"),
    st.text(LOWER, min_size=4, max_size=4),
    st.text(LOWER + "0123456789-", max_size=12),
)
suffix = st.sampled_from(["com", "co.uk", "com.au", "de", "io", "org", "co.jp", "com.br"])


@settings(max_examples=60, deadline=None)
@given(label, suffix, st.sampled_from(["https://www.", "http://", "", "HTTPS://WWW.", "www."]))
def test_the_registrable_domain_of_a_website(name: str, end: str, scheme: str) -> None:
    domain = f"{name}.{end}"
    assert registrable_domain(f"{scheme}{domain}/about/team?q=1#x") == domain
    assert registrable_domain(f"{scheme}shop.{domain}:8080") == domain


@settings(max_examples=60, deadline=None)
@given(label, st.sampled_from(["x", "ann.lee", "info+crm"]))
def test_the_registrable_domain_of_an_email_host(name: str, user: str) -> None:
    assert registrable_domain(f"{user}@mail.{name}.co.uk") == f"{name}.co.uk"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_registrable_domain_never_raises(text: str) -> None:
    domain = registrable_domain(text)
    assert domain is None or ("." in domain and domain == domain.lower())


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("https://www.acme.co.uk/about?x=1", "acme.co.uk"),
        ("ACME.DE", "acme.de"),
        ("www.acme.io.", "acme.io"),
        ("http://shop.acme.com.au:8080/x", "acme.com.au"),
        ("https://user:secret@acme.com/", "acme.com"),
        ("https://acme.com/?ref=ann@gmail.com", "acme.com"),  # an address in the query
        ("mailto:ann@acme.com", "acme.com"),
        ("ann@mail.acme.co.uk", "acme.co.uk"),
        # sites on a shared host stay apart: the private part of the suffix list is used
        ("https://acme.github.io/docs", "acme.github.io"),
        ("shop.myshopify.com", "shop.myshopify.com"),
        ("acme", None),
        ("localhost", None),
        ("http://192.168.0.1/", None),
        ("not a url", None),
        ("co.uk", None),
        ("", None),
        (None, None),
    ],
)
def test_domain_examples(text: str | None, domain: str | None) -> None:
    assert registrable_domain(text) == domain


def test_social_and_link_sites_are_not_company_websites() -> None:
    raw = pl.Series(
        [
            "https://www.linkedin.com/company/acme",
            "https://facebook.com/acme",
            "bit.ly/3xYz",
            "https://acme.com",
            "nonsense",
            None,
        ]
    )
    frame = clean_websites(raw)
    assert frame["website_domain"].to_list() == [None, None, None, "acme.com", None, None]
    # A social profile is a real site, just not the company's own; nonsense is invalid.
    assert frame["website_invalid"].to_list() == [False, False, False, False, True, False]


# --- countries -----------------------------------------------------------------------------------

ISO = [(str(c.alpha_2), str(c.alpha_3), str(c.name)) for c in pycountry.countries]


def test_every_iso_code_and_english_name_maps_back_to_its_alpha_2() -> None:
    for alpha_2, alpha_3, name in ISO:
        for text in (alpha_2, alpha_3, name):
            for variant in (text, text.lower(), text.upper(), f"  {text} "):
                assert country_code(variant) == alpha_2, variant


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(ISO), st.sampled_from([0, 1, 2]), st.lists(st.booleans(), min_size=60))
def test_country_lookup_ignores_case(
    iso: tuple[str, str, str], which: int, upper: list[bool]
) -> None:
    text = iso[which]
    mixed = "".join(c.upper() if up else c.lower() for c, up in zip(text, upper, strict=False))
    assert country_code(mixed) == iso[0]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_country_code_never_raises(text: str) -> None:
    code = country_code(text)
    assert code is None or pycountry.countries.get(alpha_2=code) is not None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Deutschland", "DE"),
        ("germany", "DE"),
        ("DEU", "DE"),
        ("U.S.", "US"),
        ("USA", "US"),
        ("U.S.A", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("Großbritannien", "GB"),
        ("England", "GB"),
        ("London, England, United Kingdom", "GB"),
        ("München, Bayern, Deutschland", "DE"),
        ("Toronto, ON, Canada", "CA"),
        ("Paris, France", "FR"),
        ("Côte d'Ivoire", "CI"),
        ("Korea, Republic of", "KR"),
        ("Viet Nam", "VN"),
        ("Türkiye", "TR"),
        ("UAE", "AE"),
        # A US state code after a city is not a country: better unknown than wrong.
        ("Austin, TX", None),
        ("Dover, DE", None),
        ("Paris, TX", None),
        ("D.E.", None),
        ("Texas", None),
        ("Mars", None),
        ("", None),
        (None, None),
    ],
)
def test_country_examples(text: str | None, code: str | None) -> None:
    assert country_code(text) == code


def test_clean_countries_flags_text_that_names_no_country() -> None:
    frame = clean_countries(pl.Series(["Deutschland", "Atlantis", None, "Deutschland"]))
    assert frame["country_code"].to_list() == ["DE", None, None, "DE"]
    assert frame["country_unknown"].to_list() == [False, True, False, False]


# --- names ---------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=20))
def test_capitalise_name_is_idempotent(name: str) -> None:
    once = capitalise_name(name)
    assert capitalise_name(once) == once
    if once is None:
        assert not name.split()


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=20))
def test_mixed_case_is_the_persons_own_spelling(name: str) -> None:
    text = " ".join(name.split())
    if text and text != text.lower() and text != text.upper():
        assert capitalise_name(name) == text


lower_words = st.lists(st.text(LOWER, min_size=1, max_size=10), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(lower_words, st.sampled_from([" ", "-", "'", " - "]))
def test_lower_case_names_come_back_capitalised(words: list[str], separator: str) -> None:
    name = separator.join(words)
    result = capitalise_name(name)
    assert result is not None
    assert result.lower() == name
    assert result[0].isupper()
    # The same letters in upper case come back the same way.
    assert capitalise_name(name.upper()) == result


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ann", "Ann"),
        ("O'BRIEN", "O'Brien"),
        ("o’neil", "O’Neil"),
        ("mcdonald", "McDonald"),
        ("jean-luc", "Jean-Luc"),
        ("van der berg", "Van der Berg"),
        ("JOSÉ DA SILVA", "José da Silva"),
        ("ÉLODIE", "Élodie"),
        ("DeVito", "DeVito"),
        ("  ann   lee ", "Ann Lee"),
        ("straße", "Straße"),
        ("ß", "ß"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_capitalise_examples(name: str | None, expected: str | None) -> None:
    assert capitalise_name(name) == expected


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Dr. ann lee", "Ann", "Lee"),
        ("Lee, Ann", "Ann", "Lee"),
        ("ANN MARIE LEE", "Ann", "Marie Lee"),
        ("Prof. Dr. Hans-Peter Müller Jr.", "Hans-Peter", "Müller"),
        ("Ann", "Ann", None),
    ],
)
def test_split_full_name(full: str, first: str, last: str | None) -> None:
    assert split_full_name(full) == (first, last)


def test_clean_names_fills_each_part_from_the_others() -> None:
    frame = clean_names(
        pl.Series(["ann", None, None, None, "bob"]),
        pl.Series(["LEE", None, None, "smith", None]),
        pl.Series([None, "Dr. bob jones", None, "x y", "Robert Jones"]),
    )
    assert frame.rows() == [
        ("Ann", "Lee", "Ann Lee"),
        ("Bob", "Jones", "Bob Jones"),  # split from the full name
        (None, None, None),
        (None, "Smith", "Smith"),  # a part given: the full name is not split
        ("Bob", None, "Bob"),
    ]


# --- job titles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "seniority", "department"),
    [
        ("Chief Technology Officer", "c_level", "engineering"),
        ("CTO", "c_level", "engineering"),
        ("Co-Founder & CEO", "c_level", "executive"),
        ("Chief Revenue Officer", "c_level", "sales"),
        ("CFO", "c_level", "finance"),
        ("Managing Director", "c_level", "executive"),
        ("Geschäftsführer", "c_level", "executive"),
        ("Product Owner", "ic", "product"),
        ("Executive Assistant to the CEO", "ic", "executive"),
        ("HR Business Partner", "manager", "hr"),
        ("Principal Engineer", "ic", "engineering"),
        ("President", "c_level", "executive"),
        ("Chairman of the Board", "c_level", "executive"),
        ("VP of Sales", "vp", "sales"),
        ("SVP Engineering", "vp", "engineering"),
        ("Vice President, Marketing", "vp", "marketing"),
        ("Vice-President Engineering", "vp", "engineering"),
        ("Head of Growth", "director", "marketing"),
        ("Head of People", "director", "hr"),
        ("Director of Finance", "director", "finance"),
        ("Director of IT", "director", "it"),
        ("Engineering Team Lead", "manager", "engineering"),
        ("Marketing Manager", "manager", "marketing"),
        ("Customer Success Manager", "manager", "support"),
        ("IT Manager", "manager", "it"),
        ("Operations Coordinator", "manager", "operations"),
        ("Software Engineer", "ic", "engineering"),
        ("Senior Account Executive", "ic", "sales"),
        ("Sales Development Representative", "ic", "sales"),
        ("Data Scientist", "ic", "data"),
        ("Product Designer", "ic", "product"),
        ("General Counsel", "ic", "legal"),
        ("Intern", "ic", None),
    ],
)
def test_title_examples(title: str, seniority: str, department: str | None) -> None:
    assert seniority_of(title) == seniority
    assert department_of(title) == department


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_any_title_gets_a_known_level(title: str) -> None:
    assert seniority_of(title) in SENIORITY_LEVELS
    department_of(title)


@pytest.mark.parametrize(
    ("label", "level"),
    [
        ("c_suite", "c_level"),
        ("C-Suite", "c_level"),
        ("CXO / C-Suite", "c_level"),
        ("founder", "c_level"),
        ("Owner", "c_level"),
        ("vp", "vp"),
        ("Director", "director"),
        ("Partner", "director"),
        ("manager", "manager"),
        ("Senior", "ic"),
        ("Entry", "ic"),
        ("whatever", None),
    ],
)
def test_vendor_levels(label: str, level: str | None) -> None:
    assert vendor_level(label) == level


def test_the_title_decides_and_vendor_labels_fill_in() -> None:
    frame = clean_titles(
        pl.Series(["  VP   of Sales ", None, "Associate", None, ""]),
        pl.Series(["c_suite", "c_suite", "Senior", None, "Manager"]),
        pl.Series([None, "master_engineering", "Sales; Marketing", "Finance", None]),
    )
    assert frame.rows() == [
        ("VP of Sales", "vp", "sales"),
        (None, "c_level", "engineering"),
        ("Associate", "ic", "sales"),
        (None, None, "finance"),
        (None, "manager", None),
    ]


# --- employee counts and revenue -----------------------------------------------------------------

counts = st.integers(min_value=0, max_value=10**12)


@settings(max_examples=60, deadline=None)
@given(counts)
def test_a_number_is_its_own_range(n: int) -> None:
    assert parse_range(f"{n}") == (n, n)
    assert parse_range(f"{n:,}") == (n, n)
    assert parse_range(f" {n:,} employees ") == (n, n)


@settings(max_examples=60, deadline=None)
@given(counts, counts, st.sampled_from(["{}-{}", "{} - {}", "{} to {}", "between {} and {}"]))
def test_a_range_is_its_two_ends_in_order(a: int, b: int, form: str) -> None:
    assert parse_range(form.format(a, b)) == (min(a, b), max(a, b))
    assert parse_range(form.format(f"{a:,}", f"{b:,}")) == (min(a, b), max(a, b))


@settings(max_examples=60, deadline=None)
@given(counts)
def test_open_ranges(n: int) -> None:
    assert parse_range(f"{n}+") == (n, None)
    assert parse_range(f"{n:,}+") == (n, None)
    assert parse_range(f"over {n}") == (n, None)
    assert parse_range(f"< {n}") == (None, n)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=9999),
    st.sampled_from([("k", 1e3), ("K", 1e3), ("M", 1e6), ("m", 1e6), ("B", 1e9), ("bn", 1e9)]),
    st.sampled_from(["", "$", "€", "USD "]),
    st.integers(min_value=0, max_value=9),
)
def test_multipliers(n: int, unit: tuple[str, float], currency: str, tenth: int) -> None:
    letter, factor = unit
    assert parse_range(f"{currency}{n}{letter}") == (n * factor, n * factor)
    low, high = parse_range(f"{currency}{n}.{tenth}{letter}")
    assert low == high == pytest.approx((n + tenth / 10) * factor)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_parse_range_never_raises(text: str) -> None:
    low, high = parse_range(text)
    if low is not None and high is not None:
        assert low <= high
    point = point_estimate(low, high)
    assert (point is None) == (low is None and high is None)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("51-200", 51, 200),
        ("1,001-5,000", 1001, 5000),
        ("10,001+", 10001, None),
        ("10k+", 10_000, None),
        ("1.2k", 1200, 1200),
        ("1.000", 1000, 1000),  # a thousands dot
        ("2.500-5.000", 2500, 5000),
        ("10 000", 10_000, 10_000),  # a thousands space
        ("10 000 - 50 000", 10_000, 50_000),
        ("$10M-$50M", 10e6, 50e6),
        ("$10-50M", 10e6, 50e6),  # the unit written once applies to both ends
        ("$500K - $1M", 500e3, 1e6),
        ("$1.2B", 1.2e9, 1.2e9),
        ("$1B+", 1e9, None),
        ("€2,5 Mio", 2.5e6, 2.5e6),  # a decimal comma
        ("1,5-2,5 Mio", 1.5e6, 2.5e6),
        ("1.5 million", 1.5e6, 1.5e6),
        ("< $1M", None, 1e6),
        ("Less than $1M", None, 1e6),
        ("Up to 10", None, 10),
        ("over 1000", 1000, None),
        ("5000+ employees", 5000, None),
        ("Self-employed", 1, 1),
        ("sole trader", 1, 1),
        ("12 (solely remote)", 12, 12),  # "sole" inside a word is not self-employment
        ("0", 0, 0),
        ("n/a", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_range_examples(text: str | None, low: float | None, high: float | None) -> None:
    assert parse_range(text) == (low, high)


def test_clean_counts_columns() -> None:
    raw = pl.Series(["51-200", "10k+", "lots", None, "1.5"])
    employees = clean_counts(raw, "employees", integer=True)
    assert employees.schema == pl.Schema(
        {
            "employees_min": pl.Int64,
            "employees_max": pl.Int64,
            "employees": pl.Int64,
            "employees_unparsed": pl.Boolean,
        }
    )
    assert employees.rows() == [
        (51, 200, 126, False),  # the middle, 125.5, rounded
        (10_000, None, 10_000, False),
        (None, None, None, True),
        (None, None, None, False),
        (2, 2, 2, False),
    ]
    revenue = clean_counts(pl.Series(["$1M-$2M"]), "revenue", integer=False)
    assert revenue.rows() == [(1e6, 2e6, 1.5e6, False)]


# --- LinkedIn ------------------------------------------------------------------------------------

ADA = "https://www.linkedin.com/in/ada-lovelace"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://www.linkedin.com/in/ada-lovelace", ADA),
        ("https://www.linkedin.com/in/Ada-Lovelace/?trk=public_profile", ADA),
        ("http://uk.linkedin.com/in/ada-lovelace", ADA),
        ("de.linkedin.com/in/ada-lovelace/de", ADA),
        ("linkedin.com/in/ada-lovelace#experience", ADA),
        ("LINKEDIN.COM/IN/ADA-LOVELACE", ADA),
        ("  https://linkedin.com/in/ada-lovelace  ", ADA),
        # Old public profiles differ only after the name: the whole path is kept.
        (
            "http://www.linkedin.com/pub/ada-lovelace/1/23/456/",
            "https://www.linkedin.com/pub/ada-lovelace/1/23/456",
        ),
        ("https://notlinkedin.com/in/ada-lovelace", None),
        ("https://www.linkedin.com/company/acme", None),
        ("https://www.linkedin.com/in/", None),
        ("ada-lovelace", None),
        (None, None),
    ],
)
def test_profile_urls(url: str | None, canonical: str | None) -> None:
    assert canonical_profile_urls(pl.Series([url], dtype=pl.String)).to_list() == [canonical]


def test_two_old_public_profiles_of_the_same_name_stay_apart() -> None:
    urls = pl.Series(
        ["linkedin.com/pub/john-smith/1/2/3", "linkedin.com/pub/john-smith/4/5/6"], dtype=pl.String
    )
    first, second = canonical_profile_urls(urls).to_list()
    assert first != second


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://uk.linkedin.com/company/acme/about", "https://www.linkedin.com/company/acme"),
        ("linkedin.com/company/ACME?trk=x", "https://www.linkedin.com/company/acme"),
        ("linkedin.com/school/mit/", "https://www.linkedin.com/school/mit"),
        (
            "https://www.linkedin.com/showcase/acme-cloud",
            "https://www.linkedin.com/showcase/acme-cloud",
        ),
        ("https://fakelinkedin.com/company/acme", None),
        ("https://www.linkedin.com/in/ada", None),
        ("acme", None),
    ],
)
def test_company_urls(url: str, canonical: str | None) -> None:
    assert canonical_company_urls(pl.Series([url])).to_list() == [canonical]


# --- placeholders --------------------------------------------------------------------------------


def test_placeholder_cells_become_null() -> None:
    raw = pl.Series(
        ["Select", " N/A ", "unknown", "-", "#N/A", "(blank)", "NULL", " Acme ", "none1"]
    )
    cleaned = pl.DataFrame({"v": raw}).select(blank_to_null("v").alias("v"))["v"].to_list()
    assert cleaned == [None, None, None, None, None, None, None, "Acme", "none1"]


NAME_WORDS = st.one_of(
    st.sampled_from(
        ["ann", "LEE", "Dr", "mr", "jr", "van", "de", "and", "III", "phd", "o'neil", "Mary-Ann",
         "JOSÉ", "Zoë", "x", "'s", "sir", "ms", "łukasz", "Müller", "bin", "st"]
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHXYZéëüßøå'-", min_size=1, max_size=8),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.tuples(NAME_WORDS, NAME_WORDS))
def test_two_word_names_split_as_nameparser_splits_them(words: tuple[str, str]) -> None:
    full = " ".join(words)
    if len(full.split()) == 2:
        split_full_name.cache_clear()
        assert split_full_name(full) == nameparser_split(full)
