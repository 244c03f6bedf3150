"""Email addresses: the bulk column path agrees with email-validator and with `email_facts`."""

from __future__ import annotations

import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadrank.normalize.email import (
    FAST_VALID,
    MAX_LENGTH,
    SPECIAL_USE_TLDS,
    clean_emails,
    email_facts,
    fast_valid,
    is_valid_email,
    tidy_email,
)
from leadrank.normalize.lists import word_list

LOWER = "abcdefghijklmnopqrstuvwxyz"
ALNUM = LOWER + "0123456789"
ATOM = ALNUM + LOWER.upper() + "_%+-"

local_part = st.from_regex(r"[A-Za-z0-9_%+\-]{1,10}(\.[A-Za-z0-9_%+\-]{1,8}){0,2}", fullmatch=True)
domain_label = st.from_regex(r"[a-z0-9]([a-z0-9\-]{0,10}[a-z0-9])?", fullmatch=True) | st.text(
    st.characters(categories=["Ll", "Lu", "Nd"]), min_size=1, max_size=8
)
tld = st.sampled_from(["com", "io", "de", "co", "uk", "c", "museum", "1", *SPECIAL_USE_TLDS])
domain = st.builds(
    lambda labels, end: ".".join([*labels, end]),
    st.lists(domain_label, min_size=1, max_size=3),
    tld,
) | st.sampled_from(sorted(word_list("free_mail") | word_list("disposable")))
roles = st.sampled_from(sorted(word_list("role_local_parts")))
local = local_part | roles | roles.map(lambda role: role + "+crm")
unicode_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
address = st.builds(lambda a, b: f"{a}@{b}", local | unicode_text, domain)


@st.composite
def pasted(draw: st.DrawFn) -> str:
    """An address the way people paste it into a CRM export."""
    text = draw(address)
    if draw(st.booleans()):
        text = text.upper()
    wrapper = draw(
        st.sampled_from(
            [
                "{}",
                " {} ",
                "\t{}.",
                "mailto:{}",
                "MAILTO: {}",
                "Mailto:{}",
                "Ada Lovelace <{}>",
                '"Bob" <{}>',
                "<{}>",
                "'{}'",
                '" mailto:{}"',
                "<<{}>>",
                "{} <x@y.com>",
                "{}>",
                "\x1f{}\x1c",
            ]
        )
    )
    return wrapper.format(text)


values = st.lists(
    st.none() | st.text(max_size=30) | address | pasted(),
    min_size=1,
    max_size=15,
)


@settings(max_examples=100, deadline=None)
@given(values)
def test_bulk_columns_agree_with_email_validator_and_email_facts(raw: list[str | None]) -> None:
    frame = clean_emails(pl.Series(raw, dtype=pl.String))
    for value, row in zip(raw, frame.iter_rows(named=True), strict=True):
        # The reference: the exact per-value code, with email-validator deciding validity.
        assert row["email_valid"] is (value is not None and is_valid_email(tidy_email(value)))
        facts = email_facts(value)
        assert row == {
            "email": facts.email,
            "email_valid": facts.valid,
            "email_domain": facts.domain,
            "email_free_mail": facts.free_mail,
            "email_disposable": facts.disposable,
            "email_role": facts.role,
        }, value


# Addresses of the fast pattern's shape, some near its limits: long labels and local parts,
# many labels, dashes anywhere a label allows them.
fast_label = st.builds(
    lambda text, times: (text * times)[:63].strip("-") or "a",
    st.text(ALNUM + "-", min_size=1, max_size=10),
    st.integers(1, 12),
)
fast_local = st.builds(
    lambda text, times: (text * times)[:64].strip(".") or "a",
    st.lists(st.text(ALNUM + "_%+-", min_size=1, max_size=8), min_size=1, max_size=3).map(".".join),
    st.integers(1, 10),
)
fast_shaped = st.builds(
    lambda user, labels, end: f"{user}@{'.'.join([*labels, end])}",
    fast_local,
    st.lists(fast_label, min_size=1, max_size=5),
    st.text(LOWER, min_size=2, max_size=6) | st.sampled_from(SPECIAL_USE_TLDS),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(fast_shaped, min_size=1, max_size=20))
def test_what_the_fast_path_accepts_email_validator_accepts(addresses: list[str]) -> None:
    fast = fast_valid(pl.Series(addresses, dtype=pl.String)).to_list()
    for value, accepted in zip(addresses, fast, strict=True):
        if accepted:
            assert re.fullmatch(FAST_VALID, value)
            assert is_valid_email(value), value
        elif re.fullmatch(FAST_VALID, value):
            # Shaped right but beyond a limit email-validator keeps: too long, "ab--" labels,
            # or a special-use top-level domain.
            special = value.rpartition(".")[2] in SPECIAL_USE_TLDS
            assert len(value) > MAX_LENGTH or "--" in value or special, value


@pytest.mark.parametrize(
    "value",
    [
        "a@ab--c.com",  # an R-LDH label that is not Punycode
        "a@xn--zz.com",  # not decodable Punycode
        "a@" + ".".join(["a" * 63] * 4) + ".com",  # the domain is longer than 253 characters
        "x" * 250 + "@acme.com",  # the address is longer than 254 characters
        "a@acme.local",
        "a@acme.test",
    ],
)
def test_addresses_the_fast_pattern_admits_but_validator_refuses(value: str) -> None:
    assert not is_valid_email(value)
    assert fast_valid(pl.Series([value])).to_list() == [False]
    assert clean_emails(pl.Series([value]))["email_valid"].to_list() == [False]


def test_plain_punycode_domains_are_still_valid() -> None:
    frame = clean_emails(pl.Series(["ann@xn--bcher-kva.de"]))
    assert frame["email_valid"].to_list() == [True]


@pytest.mark.parametrize(
    ("raw", "email", "valid", "free_mail", "disposable", "role"),
    [
        ("mailto:ADA@X.COM", "ada@x.com", True, False, False, False),
        ("MAILTO: Ada@Acme.com", "ada@acme.com", True, False, False, False),
        (" Bob <bob@gmail.com> ", "bob@gmail.com", True, True, False, False),
        ('"Ann Lee" <ANN@ACME.IO>', "ann@acme.io", True, False, False, False),
        ("'ann@acme.io'", "ann@acme.io", True, False, False, False),
        ("ann@acme.io.", "ann@acme.io", True, False, False, False),
        ("info@acme.com", "info@acme.com", True, False, False, True),
        ("Sales+eu@acme.com", "sales+eu@acme.com", True, False, False, True),
        ("ann+crm@acme.com", "ann+crm@acme.com", True, False, False, False),
        ("x@mailinator.com", "x@mailinator.com", True, False, True, False),
        ("jane.doe@yahoo.co.uk", "jane.doe@yahoo.co.uk", True, True, False, False),
        ("jane at acme.com", "jane at acme.com", False, False, False, False),
        ("john.doe@", "john.doe@", False, False, False, False),
        ("@acme.com", "@acme.com", False, False, False, False),
        ("ann@@acme.com", "ann@@acme.com", False, False, False, False),
        ("ann@acme", "ann@acme", False, False, False, False),
        ("info@localhost", "info@localhost", False, False, False, False),
        ("jörg@bücher.de", "jörg@bücher.de", True, False, False, False),
        ("...", None, False, False, False, False),
        ("   ", None, False, False, False, False),
        (None, None, False, False, False, False),
    ],
)
def test_examples(
    raw: str | None, email: str | None, valid: bool, free_mail: bool, disposable: bool, role: bool
) -> None:
    row = clean_emails(pl.Series([raw], dtype=pl.String)).row(0, named=True)
    assert row["email"] == email
    assert row["email_valid"] is valid
    assert row["email_domain"] == (email.rpartition("@")[2] if valid and email else None)
    assert (row["email_free_mail"], row["email_disposable"], row["email_role"]) == (
        free_mail,
        disposable,
        role,
    )
    facts = email_facts(raw)
    assert (facts.email, facts.valid, facts.role) == (email, valid, role)


def test_an_invalid_address_is_never_flagged_as_a_kind_of_mailbox() -> None:
    frame = clean_emails(pl.Series(["info@", "info at gmail.com", "sales@mailinator"]))
    assert not frame["email_role"].any()
    assert not frame["email_free_mail"].any()
    assert frame["email_domain"].null_count() == 3


def test_repeated_values_get_the_same_answer_on_every_row() -> None:
    raw = ["Bob <bob@gmail.com>", "bad", "Bob <bob@gmail.com>", None, "bad", "ann@acme.io"] * 50
    frame = clean_emails(pl.Series(raw, dtype=pl.String))
    assert frame.height == len(raw)
    assert frame.head(6).rows() * 50 == frame.rows()
