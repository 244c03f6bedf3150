"""Organisation names made comparable word by word: "Akzo Nobel N.V.", "AKZO-NOBEL NV" and
"Akzo Nobel" give the same words; "Int'l Business Machines Corp." gives "international business
machines". Pure functions on one name; the matching code runs them once per distinct value.

What a name is made of, in the order it is cleaned:
- case and accents folded ("Ørsted" -> "orsted"; other scripts kept as written); "&" read as
  "and"; apostrophes dropped ("Int'l" -> "intl");
- single letters in a row joined, however separated ("I.B.M.", "N. V." -> "ibm", "nv");
- legal forms of many countries dropped wherever they stand (they tell the same company's
  filings apart, not companies), and words that carry no identity ("the", "of", "de");
- common abbreviations written out ("Res" -> research, "Univ" -> university, "Mij" ->
  maatschappij) and plurals folded ("Laboratories" and "Lab" both -> laboratory).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from leadrank.matching.organisation_words import ABBREVIATIONS, LEGAL_FORMS, NOISE_WORDS
from leadrank.normalize.values import CACHE_SIZE

# Anything but letters (of any script) and digits separates words.
_NON_ALNUM = re.compile(r"[\W_]+")
# Letters that accents alone do not make Latin: "Ørsted" is "orsted", "Straße" "strasse".
_LATIN = str.maketrans(
    {"ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


# Letters joined by "&" are one word: "AT&T", "P&G", "H&M".
_AMPERSAND_INITIALS = re.compile(r"\b([a-z]{1,2})&([a-z]{1,2})\b")


def _fold(text: str) -> str:
    """Lower case without accents; letters of other scripts ("Газпром") stay as they are."""
    # Compatibility forms first ("𝔄", "Ａ" are "A"), then case, then accents.
    lowered = unicodedata.normalize("NFKD", text).casefold().translate(_LATIN)
    decomposed = unicodedata.normalize("NFKD", lowered)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = bare.replace("'", "").replace("\u2019", "")
    return _AMPERSAND_INITIALS.sub(r"\1\2", bare).replace("&", " and ")


def _joined_letters(words: list[str]) -> list[str]:
    """Single letters in a row are one word: "i b m" -> "ibm", "n v" -> "nv"."""
    joined: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1 and word.isascii() and word.isalpha():
            run += word
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(word)
    return [*joined, run] if run else joined


def singular(word: str) -> str:
    """A plural folded to its singular, loosely: "laboratories" -> "laboratory",
    "systems" -> "system"; short words and "-ss" words stay ("glass", "bus")."""
    if len(word) <= 4 or not word.endswith("s") or word.endswith("ss"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1]


def _canonical(word: str) -> str:
    return ABBREVIATIONS.get(word) or ABBREVIATIONS.get(singular(word)) or singular(word)


@lru_cache(maxsize=CACHE_SIZE)
def organisation_words(name: str | None) -> tuple[str, ...]:
    """The words that identify an organisation, in their order (empty for no name). A name that
    is nothing but legal forms ("The Company Ltd") keeps them; one of nothing but noise keeps
    that. Cleaning is repeated until it changes nothing (a form dropped can leave two single
    letters side by side), so cleaning a cleaned name gives it back."""
    if not name:
        return ()
    words = _cleaned_once(name)
    for _ in range(3):
        again = _cleaned_once(" ".join(words))
        if again == words:
            break
        words = again
    return words


def _cleaned_once(name: str) -> tuple[str, ...]:
    words = _NON_ALNUM.sub(" ", _fold(name)).split()
    # Noise words go before letters are joined ("S & P" is "sp" however it is spelled), but
    # not single letters, which may be spelling something out ("S.A.", "Y.M.C.A.").
    content = _joined_letters([word for word in words if len(word) == 1 or word not in NOISE_WORDS])
    kept = tuple(_canonical(word) for word in content if word not in LEGAL_FORMS | NOISE_WORDS)
    return kept or tuple(_canonical(word) for word in content or _joined_letters(words))


def organisation_key(name: str | None) -> str | None:
    """The organisation's words joined by spaces, or None without any."""
    return " ".join(organisation_words(name)) or None


def acronym(words: tuple[str, ...] | list[str]) -> str | None:
    """The initials of a name of three words or more ("international business machines" ->
    "ibm"), the form an acronym in another row would take; None for shorter names."""
    if len(words) < 3:
        return None
    return "".join(word[0] for word in words)
