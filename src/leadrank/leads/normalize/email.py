"""Email addresses: syntax (no DNS), case, and free-mail / disposable / role flags."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from email_validator import EmailNotValidError, validate_email

from leadrank.leads.normalize.lists import word_list

# A plain ASCII address that email-validator always accepts (a property test holds us to that).
# Rows that match skip the per-value validator; everything else goes through it.
FAST_VALID = (
    r"^[a-z0-9_%+\-]{1,64}(\.[a-z0-9_%+\-]{1,64})*"
    r"@([a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$"
)
# email-validator refuses these special-use top-level domains.
SPECIAL_USE_TLDS = ("arpa", "invalid", "local", "localhost", "onion", "test")
# Wrappers people paste around an address: "mailto:", "Name <a@b.com>", quotes, a final dot.
_MAILTO = r"^mailto:\s*"
_ANGLE = r"<([^<>]+)>"


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


def clean_emails(raw: pl.Series) -> pl.DataFrame:
    """Columns email, email_valid, email_domain, email_free_mail, email_disposable, email_role."""
    tidy = (
        raw.to_frame("raw")
        .select(
            pl.col("raw")
            .str.strip_chars()
            .str.strip_chars("\"'")
            .str.replace(_MAILTO, "", literal=False)
            .str.to_lowercase()
            .alias("tidy")
        )
        .select(
            pl.coalesce(pl.col("tidy").str.extract(_ANGLE, 1), pl.col("tidy"))
            .str.strip_chars()
            .str.strip_chars_end(".")
            .replace("", None)
            .alias("email")
        )
        .to_series()
    )
    tld = tidy.str.extract(r"\.([a-z]+)$", 1)
    fast = tidy.str.contains(FAST_VALID) & ~tld.is_in(list(SPECIAL_USE_TLDS))
    slow_values = tidy.filter(~fast.fill_null(True) & tidy.is_not_null()).unique()
    slow_valid = {value: is_valid_email(value) for value in slow_values.to_list()}
    valid = (
        pl.when(fast.fill_null(False))
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
