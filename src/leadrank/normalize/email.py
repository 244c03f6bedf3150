"""Email addresses: syntax (no DNS), case, and free-mail / disposable / role flags."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import polars as pl
from email_validator import EmailNotValidError, validate_email

from leadrank.normalize.lists import word_list
from leadrank.normalize.values import CACHE_SIZE

# The shape of a plain ASCII address. With the limits below (`fast_valid`) email-validator always
# accepts it (a property test holds us to that); rows that pass skip the per-value validator.
FAST_VALID = (
    r"^[a-z0-9_%+\-]{1,64}(\.[a-z0-9_%+\-]{1,64})*"
    r"@([a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$"
)
# email-validator refuses these special-use top-level domains.
SPECIAL_USE_TLDS = ("arpa", "invalid", "local", "localhost", "onion", "test")
# ... addresses longer than this ...
MAX_LENGTH = 254
# ... and domain labels with two dashes after two characters ("ab--c", Punycode "xn--" labels,
# which it decodes): those are left to it.
_DASHED_LABEL = r"[@.][^@.]{2}--"
# A cell that is only an address with blanks around it: no quotes, brackets or "mailto:".
# Everything else is tidied by `tidy_email` itself, once per distinct value.
_PLAIN = r"^[ \t]*[A-Za-z0-9_%+.@\-]+[ \t]*$"


@dataclass(frozen=True)
class EmailFacts:
    """What one address says about a lead."""

    email: str | None
    valid: bool
    domain: str | None
    free_mail: bool
    disposable: bool
    role: bool


def tidy_email(raw: str) -> str:
    """Strip the wrappers people paste around an address and lower-case it."""
    text = raw.strip().strip("\"'").strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    if "<" in text and ">" in text:
        text = text[text.index("<") + 1 : text.index(">")]
    return text.strip().rstrip(".").lower()


@lru_cache(maxsize=CACHE_SIZE)
def is_valid_email(address: str) -> bool:
    """Whether email-validator accepts the address (syntax only, no DNS)."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def email_facts(raw: str | None) -> EmailFacts:
    """Normalise one address and flag what kind of mailbox it is."""
    if raw is None or not raw.strip():
        return EmailFacts(None, False, None, False, False, False)
    address = tidy_email(raw)
    if not address:
        return EmailFacts(None, False, None, False, False, False)
    valid = is_valid_email(address)
    domain = address.rpartition("@")[2] if valid else None
    local = address.partition("@")[0].split("+")[0]
    return EmailFacts(
        email=address,
        valid=valid,
        domain=domain,
        free_mail=domain in word_list("free_mail") if domain else False,
        disposable=domain in word_list("disposable") if domain else False,
        role=valid and local in word_list("role_local_parts"),
    )


def fast_valid(addresses: pl.Series) -> pl.Series:
    """Which tidy addresses email-validator accepts for certain without being asked."""
    tld = addresses.str.extract(r"\.([a-z]+)$", 1)
    return (
        addresses.str.contains(FAST_VALID)
        & (addresses.str.len_bytes() <= MAX_LENGTH)
        & ~addresses.str.contains(_DASHED_LABEL)
        & ~tld.is_in(list(SPECIAL_USE_TLDS))
    ).fill_null(False)


def _tidy_emails(raw: pl.Series) -> pl.Series:
    """`tidy_email` of each value: in bulk for plain cells, else once per distinct value."""
    plain = raw.str.contains(_PLAIN).fill_null(False)
    bulk = raw.str.strip_chars(" \t").str.strip_chars_end(".").str.to_lowercase()
    messy = raw.filter(~plain).drop_nulls().unique()
    tidied = {value: tidy_email(value) for value in messy.to_list()}
    exact = raw.replace_strict(tidied, default=None, return_dtype=pl.String)
    return bulk.zip_with(plain, exact).replace("", None).alias("email")


def clean_emails(raw: pl.Series) -> pl.DataFrame:
    """Columns email, email_valid, email_domain, email_free_mail, email_disposable, email_role."""
    tidy = _tidy_emails(raw.cast(pl.String))
    fast = fast_valid(tidy)
    slow_values = tidy.filter(~fast & tidy.is_not_null()).unique()
    slow_valid = {value: is_valid_email(value) for value in slow_values.to_list()}
    valid = (
        pl.when(fast)
        .then(True)
        .when(tidy.is_null())
        .then(False)
        .otherwise(tidy.replace_strict(slow_valid, default=False, return_dtype=pl.Boolean))
    )
    frame = pl.DataFrame({"email": tidy}).with_columns(valid.alias("email_valid"))
    domain = pl.when("email_valid").then(pl.col("email").str.split("@").list.last())
    local = pl.col("email").str.split("@").list.first().str.split("+").list.first()
    return frame.with_columns(domain.alias("email_domain")).with_columns(
        pl.col("email_domain")
        .is_in(list(word_list("free_mail")))
        .fill_null(False)
        .alias("email_free_mail"),
        pl.col("email_domain")
        .is_in(list(word_list("disposable")))
        .fill_null(False)
        .alias("email_disposable"),
        (pl.col("email_valid") & local.is_in(list(word_list("role_local_parts"))))
        .fill_null(False)
        .alias("email_role"),
    )
