"""Phone numbers: the bulk metadata check never disagrees with phonenumbers itself."""

from __future__ import annotations

import random
import re

import phonenumbers
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneMetadata, PhoneNumberType

from leadrank.normalize import phone
from leadrank.normalize.phone import clean_phones, to_e164

DIGITS = "0123456789"
COUNTRY_CODES = (
    1, 7, 20, 27, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 52, 54, 55, 61,
    62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 212, 234, 254, 290, 353, 358, 372, 380, 599,
    800, 852, 880, 966, 971, 972,
)  # fmt: skip
REGIONS = ("US", "GB", "DE", "FR", "IN", "IT", "BR", "AR", "JP", "CA", "IL", "NO", "FI", "RU")
region = st.sampled_from((*REGIONS, None))


TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "voip", "uan")
METADATA_REGIONS = (*REGIONS, "MX", "ES", "NL", "AU", "CN", "ZA", "MA", "CW", "SH", "KZ")


def _national_numbers(region: str) -> st.SearchStrategy[str]:
    """National numbers of the shapes a region's metadata describes: many of them valid."""
    metadata = PhoneMetadata.metadata_for_region(region)
    patterns = [
        desc.national_number_pattern
        for kind in TYPES
        if (desc := getattr(metadata, kind)) is not None and desc.national_number_pattern
    ]
    return st.one_of(
        [st.from_regex(re.compile(pattern, re.ASCII), fullmatch=True) for pattern in patterns]
    )


def _examples(region: str) -> list[str]:
    """The national significant number of the example number of each type of a region."""
    found = []
    for kind in TYPES:
        example = phonenumbers.example_number_for_type(
            region, getattr(PhoneNumberType, kind.upper())
        )
        if example is not None:
            found.append(phonenumbers.national_significant_number(example))
    return found


NATIONAL_NUMBERS = {region: _national_numbers(region) for region in METADATA_REGIONS}
EXAMPLES = {region: _examples(region) for region in METADATA_REGIONS}


def mutated(digits: str, rng: random.Random) -> str:
    """A number with a few digits changed, added or dropped: often still valid."""
    chars = list(digits)
    for _ in range(rng.randint(0, 3)):
        position = rng.randrange(len(chars))
        action = rng.random()
        if action < 0.7:
            chars[position] = rng.choice(DIGITS)
        elif action < 0.85:
            chars.insert(position, rng.choice(DIGITS))
        elif len(chars) > 2:
            del chars[position]
    return "".join(chars)


def grouped(digits: str, rng: random.Random) -> str:
    """The digits split into groups the way people type them: "(415) 555-0132", "030 1234"."""
    groups = []
    rest = digits
    while rest:
        size = rng.randint(1, 4)
        groups.append(rest[:size])
        rest = rest[size:]
    if len(groups) > 1 and rng.random() < 0.3:
        groups[0] = f"({groups[0]})"
    return rng.choice([" ", "-", ".", "/", "", " - "]).join(groups)


NATIONAL_FORMATS = (
    "(415) 555-0132",
    "1-415-555-0132",
    "415.555.0132",
    "030 1234567",
    "030/1234567",
    "020 7946 0958",
    "07400 123456",
    "01 42 68 53 00",
    "98765 43210",
    "06 1234 5678",
    "011 44 20 7946 0958",
    "0044 20 7946 0958",
    "(11) 91234-5678",
    "03-1234-5678",
    "015 9912 3456",
)


def _digits(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(DIGITS) for _ in range(rng.randint(low, high)))


@st.composite
def numbers(draw: st.DrawFn) -> tuple[str | None, str | None]:
    """A phone cell and the lead's region. Few draws (a kind and a seed) keep this fast."""
    kind = draw(st.integers(0, 9))
    rng = random.Random(draw(st.integers(0, 2**32)))
    lead_region = rng.choice((*REGIONS, None))
    if kind == 0:  # international, any of many country codes
        between = rng.choice(["", " ", "-", " (0)"])
        digits = grouped(_digits(rng, 4, 13), rng)
        return f"+{rng.choice(COUNTRY_CODES)}{between}{digits}", lead_region
    if kind in (1, 2, 3, 4, 5):  # a number the metadata describes, written at home or abroad
        home = draw(st.sampled_from(METADATA_REGIONS))
        drawn = draw(NATIONAL_NUMBERS[home]) if kind < 4 else None
        national = drawn or mutated(rng.choice(EXAMPLES[home]), rng)
        metadata = PhoneMetadata.metadata_for_region(home)
        assert metadata is not None
        prefix = metadata.national_prefix or ""
        code = metadata.country_code
        written = rng.choice(
            [
                f"{prefix}{national}",  # the usual national format, most often
                f"{prefix}{national}",
                f"{prefix}{national}",
                national,
                f"+{code}{national}",
                f"+{code}{prefix}{national}",
                f"00{code}{national}",
                f"011{code}{national}",
                f"{code}{national}",
            ]
        )
        plus = "+" if written.startswith("+") else ""
        number = plus + grouped(written.removeprefix("+"), rng)
        return number, rng.choice([home, home, home, lead_region])
    if kind == 6:  # national formats with separators and prefixes
        return rng.choice(NATIONAL_FORMATS), lead_region
    if kind == 7:  # a random digit string
        return _digits(rng, 4, 16), lead_region
    if kind == 8:  # leading national or international prefixes on random digits
        head = rng.choice(["0", "1", "8", "00", "01", "011", "010", "810", "+"])
        return head + _digits(rng, 4, 12), lead_region
    return draw(st.none() | st.text(max_size=20)), lead_region  # junk


@settings(max_examples=300, deadline=None)
@given(st.lists(numbers(), min_size=1, max_size=6))
def test_bulk_e164_is_exactly_phonenumbers(pairs: list[tuple[str | None, str | None]]) -> None:
    raw = pl.Series([r for r, _ in pairs], dtype=pl.String)
    regions = pl.Series([g for _, g in pairs], dtype=pl.String)
    frame = clean_phones(raw, regions)
    expected = [to_e164(r, g) for r, g in pairs]
    assert frame["phone_e164"].to_list() == expected
    for (value, _), e164, invalid in zip(pairs, expected, frame["phone_invalid"], strict=True):
        if e164 is not None or value is None:
            assert invalid is False
        elif re.search(r"\d", value):
            assert invalid is True


def test_common_formats_are_settled_without_the_per_value_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(raw: str | None, region: str | None) -> str | None:
        raise AssertionError(f"{raw!r} ({region}) reached phonenumbers")

    monkeypatch.setattr(phone, "to_e164", refuse)
    cases = {
        ("(415) 555-0132", "US"): "+14155550132",
        ("+1 415 555 0132", None): "+14155550132",
        ("030 1234567", "DE"): "+49301234567",
        ("+49 30 1234567", "FR"): "+49301234567",
        # a national prefix written as a pattern ("0|180020")
        ("020 7946 0958", "GB"): "+442079460958",
        ("+44 (0)20 7946 0958", None): "+442079460958",
        # a country code shared by several regions: Canada after the United States
        ("(604) 555-0142", "CA"): "+16045550142",
        ("+1 604 555 0142", "US"): "+16045550142",
        ("(03) 9107 6314", "AU"): "+61391076314",
        ("03-2574-4367", "JP"): "+81325744367",
        # invalid, and known to be without asking
        ("(415) 555-0132", None): None,
        ("+44 20 7946", None): None,
    }
    frame = clean_phones(
        pl.Series([raw for raw, _ in cases]), pl.Series([region for _, region in cases])
    )
    assert frame["phone_e164"].to_list() == list(cases.values())


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(415) 555-0132", "US", "+14155550132"),
        ("1-415-555-0132", "US", "+14155550132"),
        ("415.555.0132", "US", "+14155550132"),
        ("(415) 555-0132", None, None),  # national format and no country to read it by
        ("+1 (415) 555-0132", None, "+14155550132"),
        ("+1 415 555 0132", "DE", "+14155550132"),  # "+" wins over the lead's country
        ("(416) 555-0199", "CA", "+14165550199"),
        ("030 1234567", "DE", "+49301234567"),
        ("030/1234567", "DE", "+49301234567"),
        ("+49 (0)30 1234567", None, "+49301234567"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 (0)20 7946 0958", None, "+442079460958"),
        ("0044 20 7946 0958", "GB", "+442079460958"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("07400 123456", "GB", "+447400123456"),
        ("01 42 68 53 00", "FR", "+33142685300"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("98765 43210", "IN", "+919876543210"),
        ("06 1234 5678", "IT", "+390612345678"),  # Italy keeps the leading zero
        ("+39 06 1234 5678", None, "+390612345678"),
        ("(11) 91234-5678", "BR", "+5511912345678"),
        ("03-1234-5678", "JP", "+81312345678"),
        ("+971 50 123 4567", None, "+971501234567"),
        ("415 555 0132 ext. 12", "US", "+14155550132"),
        ("1-800-FLOWERS", "US", "+18003569377"),
        ("12345", "US", None),
        ("555-0132", "US", None),
        ("+1 555 555 5555 5555", None, None),
        ("0000000000", "DE", None),
        ("call me", "US", None),
        ("+", None, None),
        ("", "US", None),
        (None, "US", None),
    ],
)
def test_examples(raw: str | None, region: str | None, e164: str | None) -> None:
    frame = clean_phones(pl.Series([raw], dtype=pl.String), pl.Series([region], dtype=pl.String))
    assert frame["phone_e164"].to_list() == [e164]
    assert to_e164(raw, region) == e164
    assert frame["phone_invalid"].to_list() == [bool(raw and raw.strip()) and e164 is None]


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("01599123456", "IL"),  # "015" is an Israeli international prefix, not a trunk prefix
        ("012129811", "IL"),
        ("415" + "-" * 250 + "5550132", "US"),  # phonenumbers refuses input this long
    ],
)
def test_numbers_the_metadata_alone_would_have_accepted(raw: str, region: str) -> None:
    assert to_e164(raw, region) is None
    frame = clean_phones(pl.Series([raw]), pl.Series([region]))
    assert frame["phone_e164"].to_list() == [None]
    assert frame["phone_invalid"].to_list() == [True]


def test_padding_does_not_change_the_number() -> None:
    padded = " " * 300 + "+14155550132"
    assert to_e164(padded, None) == "+14155550132"
    assert clean_phones(pl.Series([padded]), pl.Series([None], dtype=pl.String))[
        "phone_e164"
    ].to_list() == ["+14155550132"]


def test_each_row_reads_its_number_by_its_own_region() -> None:
    raw = ["020 7946 0958"] * 3 + [None]
    frame = clean_phones(pl.Series(raw), pl.Series(["GB", "US", None, "GB"]))
    assert frame["phone_e164"].to_list() == ["+442079460958", None, None, None]
    assert frame["phone_invalid"].to_list() == [False, True, True, False]


def test_every_result_is_a_valid_e164_number() -> None:
    raw = ["+1 415 555 0132", "020 7946 0958", "030 1234567", "98765 43210"]
    frame = clean_phones(pl.Series(raw), pl.Series(["US", "GB", "DE", "IN"]))
    for e164 in frame["phone_e164"]:
        parsed = phonenumbers.parse(e164, None)
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == e164
