"""Sales regions from ISO 3166-1 alpha-2 countries, split the way sales teams usually split
the world: NA (the United States, Canada and their northern neighbours), LATAM (Mexico,
Central and South America, the Caribbean), APAC (Asia east of Iran, Oceania) and EMEA
(Europe, the Middle East, Africa and Central Asia: every other country)."""

from __future__ import annotations

from functools import cache

import pycountry

REGIONS = ("EMEA", "NA", "LATAM", "APAC")

_NA = "US CA BM GL PM UM"
_LATAM = """
    MX GT BZ SV HN NI CR PA CU DO HT JM PR TT BS BB AG DM GD KN LC VC AW CW SX BQ KY TC VG VI
    AI MS GP MQ BL MF AR BO BR CL CO EC FK GF GY PY PE SR UY VE GS
"""
_APAC = """
    CN HK MO TW JP KR KP MN IN PK BD LK NP BT MV AF MM TH LA KH VN MY SG ID PH BN TL AU NZ PG
    FJ SB VU NC PF WS TO KI TV NR FM MH PW CK NU TK WF AS GU MP PN NF CX CC HM IO
"""
_NOWHERE = {"AQ"}  # Antarctica belongs to no sales region


@cache
def _table() -> dict[str, str]:
    table = {code: region for region, codes in (("NA", _NA), ("LATAM", _LATAM), ("APAC", _APAC))
             for code in codes.split()}  # fmt: skip
    for country in pycountry.countries:
        code = str(country.alpha_2)
        if code not in _NOWHERE:
            table.setdefault(code, "EMEA")
    return table


def region_of(country: str | None) -> str | None:
    """The sales region of an alpha-2 country code ("DE" -> "EMEA"), or None."""
    if not country:
        return None
    return _table().get(country.upper())


def is_country(code: str) -> bool:
    """Whether `code` is an ISO 3166-1 alpha-2 country code (upper case)."""
    return code in _table() or code in _NOWHERE
