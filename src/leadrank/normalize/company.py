"""Company names made comparable: "Acme, Inc." and "ACME" give the same key."""

from __future__ import annotations

import re
import unicodedata

_LEGAL_SUFFIXES = re.compile(
    r"\b(incorporated|inc|llc|l\.l\.c|ltd|limited|gmbh|ag|sa|sas|sarl|bv|nv|plc|pty|co|corp|"
    r"corporation|company|srl|spa|oy|ab|as|kg|kgaa|se|pte|pvt|private|holdings?|group)\b\.?"
)
_NON_WORD = re.compile(r"[^0-9a-z]+")


def company_name_key(name: str | None) -> str | None:
    """A comparable company name: accents, case, punctuation and legal suffixes removed."""
    if not name:
        return None
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    folded = folded.replace("&", " and ")
    stripped = _NON_WORD.sub(" ", _LEGAL_SUFFIXES.sub(" ", folded)).split()
    if not stripped:  # a name that is only a suffix ("Holdings Ltd") keeps its letters
        stripped = _NON_WORD.sub(" ", folded).split()
    return " ".join(stripped) or None
