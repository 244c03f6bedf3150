"""Job titles to a seniority level and a department; vendors' own seniority labels as fallback."""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from leadrank.normalize.values import CACHE_SIZE, fold, map_distinct


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b")


# Checked in this order: "Chief ..." before "Vice President" before "President".
_C_LEVEL = _words(
    r"chief",
    r"c[aefiomrpdst]o",
    r"ciso",
    r"chro",
    r"founder",
    r"co-?founder",
    r"owner",
    r"managing director",
    r"managing partner",
    r"general partner",
    r"geschaftsfuhrer",
    r"directeur general",
    r"president directeur general",
    r"pdg",
    r"executive director",
)
_VP = _words(r"s?vp", r"evp", r"avp", r"v\.?p\.?", r"vice[\s-]*president", r"vice[\s-]*pres")
_VICE = re.compile(r"vice[\s-]*pres(?:ident)?")
_PRESIDENT = _words(r"president", r"chairman", r"chairwoman", r"chairperson", r"chair")
_DIRECTOR = _words(r"director", r"directeur", r"direktor", r"head", r"leiter", r"partner", r"dir")
_MANAGER = _words(
    r"manager", r"mgr", r"management", r"lead", r"team lead", r"supervisor",
    r"gerente", r"responsable", r"coordinator", r"superintendent", r"foreman",
)  # fmt: skip

DEPARTMENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("executive", _words(r"ceo", r"chief executive", r"founder", r"co-?founder", r"owner",
                         r"geschaftsfuhrer",
                         r"president", r"managing director", r"general manager", r"chairman")),
    ("engineering", _words(r"engineer\w*", r"developer", r"software", r"devops", r"cto",
                           r"technical", r"architect", r"programmer", r"sre", r"qa", r"r&d",
                           r"technology")),
    ("it", _words(r"it", r"information technology", r"cio", r"systems? administrator",
                  r"infrastructure", r"network", r"sysadmin", r"helpdesk", r"ciso", r"security")),
    ("data", _words(r"data", r"analytics", r"bi", r"business intelligence", r"machine learning",
                    r"cdo")),
    ("sales", _words(r"sales", r"account executive", r"business development", r"bdr", r"sdr",
                     r"account manager", r"cro", r"revenue", r"commercial", r"ae")),
    ("marketing", _words(r"marketing", r"cmo", r"growth", r"brand", r"content", r"seo",
                         r"demand gen\w*", r"communications", r"pr", r"social media")),
    ("finance", _words(r"finance", r"financial", r"cfo", r"accounting", r"accountant",
                       r"controller", r"treasur\w+", r"audit\w*", r"tax")),
    ("hr", _words(r"hr", r"human resources", r"people", r"talent", r"recruit\w*", r"chro")),
    ("product", _words(r"product", r"cpo", r"ux", r"ui", r"design\w*")),
    ("operations", _words(r"operations", r"coo", r"ops", r"supply chain", r"logistics",
                          r"procurement", r"purchasing")),
    ("support", _words(r"support", r"customer success", r"customer service", r"cx")),
    ("legal", _words(r"legal", r"counsel", r"lawyer", r"attorney", r"compliance")),
)  # fmt: skip

# Vendors' seniority labels (Apollo, ZoomInfo, Sales Navigator) to our levels.
VENDOR_LEVELS: dict[str, str] = {
    "c_suite": "c_level", "c suite": "c_level", "c-suite": "c_level", "c level": "c_level",
    "c_level": "c_level", "cxo": "c_level", "owner": "c_level", "founder": "c_level",
    "partner": "director", "vp": "vp", "vice president": "vp", "head": "director",
    "director": "director", "manager": "manager", "senior": "ic", "entry": "ic",
    "intern": "ic", "individual contributor": "ic", "ic": "ic", "staff": "ic",
    "training": "ic", "unpaid": "ic", "experienced manager": "manager",
    "cxo / c-suite": "c_level", "strategic": "director",
}  # fmt: skip


# Titles that name a senior word without holding the rank: "Assistant to the CEO", "Product
# Owner", "HR Business Partner".
_SUPPORTING = _words(
    r"assistant to", r"executive assistant", r"personal assistant", r"secretary to", r"pa to",
    r"ea to",
)  # fmt: skip
_NOT_THE_OWNER = re.compile(
    r"\b(product|process|project|data|system|service|content|risk|control|app) owner\b"
)
_NOT_A_PARTNER = re.compile(r"\b(business|channel|alliance|technology|success) partner\b")


def _without_false_ranks(text: str) -> str:
    # An HR business partner advises managers: a manager-level role; a product owner owns a
    # backlog, not the company.
    return _NOT_A_PARTNER.sub(r"\1 partnering manager", _NOT_THE_OWNER.sub(r"\1 role", text))


@lru_cache(maxsize=CACHE_SIZE)
def seniority_of(title: str) -> str:
    """The seniority level a job title states: c_level, vp, director, manager or ic."""
    text = fold(title).replace("&", " and ")
    if _SUPPORTING.search(text):
        return "ic"
    text = _without_false_ranks(text)
    if _C_LEVEL.search(text):
        return "c_level"
    if _VP.search(text):
        return "vp"
    if _PRESIDENT.search(text):
        return "c_level"
    if _DIRECTOR.search(text):
        return "director"
    if _MANAGER.search(text):
        return "manager"
    return "ic"


@lru_cache(maxsize=CACHE_SIZE)
def department_of(title: str) -> str | None:
    """The department a job title names, or None when it names none."""
    # "Vice President Engineering" is an engineering title, not the president's office.
    text = _VICE.sub("vp", _without_false_ranks(fold(title).replace("&", " and ")))
    for name, pattern in DEPARTMENTS:
        if pattern.search(text):
            return name
    return None


def vendor_level(label: str) -> str | None:
    """A vendor's own seniority label as one of our levels."""
    return VENDOR_LEVELS.get(fold(label).replace("-", " ").replace("_", " ")) or VENDOR_LEVELS.get(
        fold(label)
    )


def clean_titles(title: pl.Series, seniority: pl.Series, department: pl.Series) -> pl.DataFrame:
    """Columns job_title, seniority and department; the title decides, vendor labels fill in."""
    tidy = title.str.replace_all(r"\s+", " ").str.strip_chars().replace("", None)
    from_title = map_distinct(
        tidy,
        lambda v: (seniority_of(v), department_of(v)),
        {"seniority": pl.String, "department": pl.String},
    )
    from_vendor = map_distinct(seniority, lambda v: (vendor_level(v),), {"level": pl.String})
    vendor_department = map_distinct(
        department, lambda v: (department_of(v) or _plain(v),), {"department": pl.String}
    )
    return pl.DataFrame(
        {
            "job_title": tidy,
            "seniority": from_title["seniority"].fill_null(from_vendor["level"]),
            "department": from_title["department"].fill_null(vendor_department["department"]),
        }
    )


def _plain(label: str) -> str | None:
    """A vendor department label ("Sales; Marketing", "master_engineering") as one word."""
    first = re.split(r"[;,|/]", label)[0]
    word = re.sub(r"^(master|c_suite)_", "", fold(first)).replace(" ", "_")
    return word[:32] or None
