"""Contact details in free-form fields: email addresses, phone numbers and profile links.

Custom attributes are whatever a team's tools exported, and some hold a person's address or
number. Such values must not become model inputs, reasons or lake columns: a field that is
mostly contact details is learnt from as "filled or not", and a stray one in any other field
is replaced by a mark before anything reads it.
"""

from __future__ import annotations

import polars as pl

CONTACT_MARK = "(contact details)"
CONTACT_SHARE = 0.5  # a field this full of contact details becomes a filled-or-not flag
# Cheap test that most values fail: only these are checked in full.
_HINT = r"[@/+:]|www\.|\d[\s().\-]+\d"
_EMAIL = r"[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}"
_LINK = r"(?i)(?:https?://|www\.|mailto:)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/\S+"
_PHONE_PUNCTUATION = r"[\s().\-/]"
_DATE = r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"
_PLAIN_NUMBER = r"^-?\d+(?:\.\d+)?$"


def looks_like_contact(values: pl.Series) -> pl.Series:
    """Whether each text holds an email address or a web, profile or mailto link, or is a
    phone number: 7 to 15 digits with a leading + or separators (plain numbers and dates are
    not phones)."""
    text = values.cast(pl.String).str.strip_chars()
    hits = pl.repeat(False, text.len(), dtype=pl.Boolean, eager=True)
    rows = text.str.contains(_HINT).fill_null(False).arg_true()
    if rows.len() == 0:
        return hits
    candidates = text.gather(rows)
    digits = candidates.str.replace_all(_PHONE_PUNCTUATION, "")
    phone = (
        digits.str.contains(r"^\+?\d{7,15}$")
        & candidates.str.contains(r"^\+|[\s().\-/]")
        & ~candidates.str.contains(_DATE)
        & ~candidates.str.contains(_PLAIN_NUMBER)
    )
    found = candidates.str.contains(_EMAIL) | candidates.str.contains(_LINK) | phone
    return hits.scatter(rows, found.fill_null(False))


def is_contact_field(values: pl.Series) -> bool:
    """Whether at least half of a field's filled values are contact details."""
    filled = values.drop_nulls()
    return bool(filled.len()) and looks_like_contact(filled).sum() >= CONTACT_SHARE * filled.len()


def masked(values: pl.Series) -> pl.Series:
    """The values with every contact detail replaced by CONTACT_MARK."""
    hits = looks_like_contact(values)
    if not hits.any():
        return values
    return pl.select(
        pl.when(hits).then(pl.lit(CONTACT_MARK)).otherwise(values).alias(values.name)
    ).to_series()
