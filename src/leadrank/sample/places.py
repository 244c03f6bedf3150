"""Countries, cities and telephone numbering plans of the sample workspace.

Every phone number drawn from these plans is one that libphonenumber accepts as valid: the area
codes are real and the subscriber ranges avoid blocks the numbering plans leave unassigned.
"""

from __future__ import annotations

from typing import NamedTuple

from leadrank.sample.vocab import words


class PhonePlan(NamedTuple):
    """How to draw and write numbers of one numbering plan.

    A national significant number is an area code followed by `digits` digits drawn from
    [low, high]; patterns write it digit by digit in place of each "N".
    """

    country_code: str
    digits: int
    low: int
    high: int
    international: str
    national: str


PHONE_PLANS: dict[str, PhonePlan] = {
    "nanp": PhonePlan("1", 7, 2_000_000, 9_999_999, "+1 NNN-NNN-NNNN", "(NNN) NNN-NNNN"),
    "gb2": PhonePlan("44", 8, 70_000_000, 89_999_999, "+44 NN NNNN NNNN", "0NN NNNN NNNN"),
    "gb3": PhonePlan("44", 7, 2_000_000, 7_999_999, "+44 NNN NNN NNNN", "0NNN NNN NNNN"),
    "de": PhonePlan("49", 8, 10_000_000, 99_999_999, "+49 NN NNNNNNNN", "0NN NNNNNNNN"),
    "in": PhonePlan("91", 8, 10_000_000, 99_999_999, "+91 NNNNN NNNNN", "0NNNNN NNNNN"),
    "fr": PhonePlan("33", 8, 10_000_000, 89_999_999, "+33 N NN NN NN NN", "0N NN NN NN NN"),
    "au": PhonePlan("61", 7, 1_000_000, 9_999_999, "+61 N NNNN NNNN", "(0N) NNNN NNNN"),
    "nl": PhonePlan("31", 7, 1_000_000, 9_999_999, "+31 NN NNN NNNN", "0NN NNN NNNN"),
    "es": PhonePlan("34", 7, 1_000_000, 9_999_999, "+34 NN NNN NN NN", "NN NNN NN NN"),
    "br": PhonePlan("55", 8, 60_000_000, 99_999_999, "+55 NN NNNNN-NNNN", "(NN) NNNNN-NNNN"),
    "sg": PhonePlan("65", 7, 1_000_000, 5_999_999, "+65 NNNN NNNN", "NNNN NNNN"),
    "jp": PhonePlan("81", 8, 10_000_000, 99_999_999, "+81 N-NNNN-NNNN", "0N-NNNN-NNNN"),
}
PLAN_KEYS = tuple(PHONE_PLANS)


class Country(NamedTuple):
    """A country: how vendors spell it, its share of companies, and its local conventions."""

    code: str
    name: str
    spellings: tuple[str, ...]  # what people type into a CRM's country field
    weight: float
    culture: str
    fit: float
    legal_suffixes: tuple[str, ...]
    tlds: tuple[str, ...]  # registrable suffixes, the first the most common
    plan: str


# fmt: off
COUNTRIES: tuple[Country, ...] = (
    Country("US", "United States",
            ("United States", "USA", "U.S.", "US", "United States of America", "usa"),
            0.34, "anglo", 0.35, ("Inc", "Inc.", "LLC", "Corp."), words("com com com io ai co"),
            "nanp"),
    Country("GB", "United Kingdom", ("United Kingdom", "UK", "Great Britain", "England", "U.K."),
            0.11, "anglo", 0.25, ("Ltd", "Ltd.", "Limited", "plc"), words("co.uk co.uk com io"),
            "gb2"),
    Country("DE", "Germany", ("Germany", "Deutschland", "DE", "germany"), 0.09, "german", 0.15,
            ("GmbH", "AG", "GmbH & Co. KG"), words("de de de com io"), "de"),
    Country("IN", "India", ("India", "IND", "india"), 0.09, "indian", -0.3,
            ("Pvt Ltd", "Private Limited", "Pvt. Ltd."), words("com com in co.in io"), "in"),
    Country("FR", "France", ("France", "FR", "FRANCE"), 0.06, "french", 0.0,
            ("SAS", "SA", "SARL"), words("fr fr com io"), "fr"),
    Country("CA", "Canada", ("Canada", "CA", "CAN"), 0.06, "anglo", 0.2,
            ("Inc.", "Ltd.", "Corp."), words("ca com com io"), "nanp"),
    Country("AU", "Australia", ("Australia", "AU", "AUS"), 0.05, "anglo", 0.15,
            ("Pty Ltd", "Pty. Ltd."), words("com.au com.au com io"), "au"),
    Country("NL", "Netherlands", ("Netherlands", "The Netherlands", "Holland", "NL", "Nederland"),
            0.04, "dutch", 0.15, ("B.V.", "BV", "N.V."), words("nl nl com io"), "nl"),
    Country("ES", "Spain", ("Spain", "España", "ES", "Espana"), 0.04, "spanish", -0.1,
            ("S.L.", "S.A."), words("es es com"), "es"),
    Country("BR", "Brazil", ("Brazil", "Brasil", "BR"), 0.04, "portuguese", -0.3,
            ("Ltda.", "S.A."), words("com.br com.br com"), "br"),
    Country("SG", "Singapore", ("Singapore", "SG", "Republic of Singapore"), 0.04, "chinese", 0.1,
            ("Pte. Ltd.", "Pte Ltd"), words("com.sg sg com io"), "sg"),
    Country("JP", "Japan", ("Japan", "JP", "JPN"), 0.04, "japanese", -0.4,
            ("K.K.", "Co., Ltd.", "Inc."), words("co.jp co.jp com jp"), "jp"),
)
# fmt: on
COUNTRY_CODES = tuple(country.code for country in COUNTRIES)


class City(NamedTuple):
    """A city: its country, region, LinkedIn metro name, phone area codes and share of people."""

    country: str
    name: str
    state: str
    metro: str
    areas: tuple[str, ...]
    weight: float
    plan: str = ""  # when the city's numbers are grouped unlike the rest of its country


def _cities(country: str, rows: str) -> tuple[City, ...]:
    out = []
    for row in rows.strip().splitlines():
        name, state, metro, areas, weight, *plan = (part.strip() for part in row.split("|"))
        out.append(City(country, name, state, metro, words(areas), float(weight), *plan))
    return tuple(out)


CITIES: tuple[City, ...] = (
    *_cities(
        "US",
        """
        San Francisco | California | San Francisco Bay Area | 415 650 | 3
        New York | New York | New York City Metropolitan Area | 212 646 917 | 4
        Chicago | Illinois | Greater Chicago Area | 312 773 | 2
        Boston | Massachusetts | Greater Boston | 617 857 | 2
        Austin | Texas | Austin, Texas Metropolitan Area | 512 737 | 1.5
        Seattle | Washington | Greater Seattle Area | 206 425 | 1.5
        Los Angeles | California | Los Angeles Metropolitan Area | 213 310 | 2
        Atlanta | Georgia | Atlanta Metropolitan Area | 404 | 1
        Denver | Colorado | Denver Metropolitan Area | 303 | 1
        Miami | Florida | Miami-Fort Lauderdale Area | 305 | 1
        Washington | District of Columbia | Washington DC-Baltimore Area | 202 | 1
        Dallas | Texas | Dallas-Fort Worth Metroplex | 214 | 1""",
    ),
    *_cities(
        "GB",
        """
        London | England | London Area | 20 | 5
        Manchester | England | Greater Manchester | 161 | 1.5 | gb3
        Birmingham | England | Birmingham Area | 121 | 1 | gb3
        Edinburgh | Scotland | Edinburgh Area | 131 | 1 | gb3
        Glasgow | Scotland | Glasgow Area | 141 | 0.7 | gb3""",
    ),
    *_cities(
        "DE",
        """
        Berlin | Berlin | Berlin Metropolitan Area | 30 | 3
        Munich | Bavaria | Greater Munich Metropolitan Area | 89 | 2
        Hamburg | Hamburg | Hamburg Metropolitan Area | 40 | 1.5
        Frankfurt am Main | Hesse | Frankfurt Rhine-Main Metropolitan Area | 69 | 1.5""",
    ),
    *_cities(
        "IN",
        """
        Bengaluru | Karnataka | Bengaluru Area | 98 99 97 96 | 3
        Mumbai | Maharashtra | Mumbai Metropolitan Region | 98 99 97 96 | 2.5
        New Delhi | Delhi | Delhi Area | 98 99 97 96 | 2
        Hyderabad | Telangana | Hyderabad Area | 98 99 97 96 | 1.5
        Pune | Maharashtra | Pune Area | 98 99 97 96 | 1.2
        Chennai | Tamil Nadu | Chennai Area | 98 99 97 96 | 1""",
    ),
    *_cities(
        "FR",
        """
        Paris | Île-de-France | Greater Paris Metropolitan Region | 1 | 4
        Lyon | Auvergne-Rhône-Alpes | Lyon Area | 4 | 1
        Marseille | Provence-Alpes-Côte d'Azur | Marseille Area | 4 | 0.7
        Toulouse | Occitanie | Toulouse Area | 5 | 0.7
        Lille | Hauts-de-France | Lille Area | 3 | 0.6""",
    ),
    *_cities(
        "CA",
        """
        Toronto | Ontario | Greater Toronto Area | 416 647 | 3
        Vancouver | British Columbia | Greater Vancouver Metropolitan Area | 604 778 | 1.5
        Montréal | Quebec | Greater Montreal Metropolitan Area | 514 438 | 1.5
        Calgary | Alberta | Calgary Metropolitan Area | 403 587 | 0.8
        Ottawa | Ontario | Ottawa Area | 613 | 0.7""",
    ),
    *_cities(
        "AU",
        """
        Sydney | New South Wales | Greater Sydney Area | 28 29 | 3
        Melbourne | Victoria | Greater Melbourne Area | 39 | 2.5
        Brisbane | Queensland | Greater Brisbane Area | 73 | 1
        Perth | Western Australia | Greater Perth Area | 89 | 0.7""",
    ),
    *_cities(
        "NL",
        """
        Amsterdam | North Holland | Amsterdam Area | 20 | 3
        Rotterdam | South Holland | Rotterdam and The Hague | 10 | 1.5
        Utrecht | Utrecht | Utrecht Area | 30 | 1
        Eindhoven | North Brabant | Eindhoven Area | 40 | 0.8""",
    ),
    *_cities(
        "ES",
        """
        Madrid | Community of Madrid | Greater Madrid Metropolitan Area | 91 | 3
        Barcelona | Catalonia | Greater Barcelona Metropolitan Area | 93 | 2.5
        Valencia | Valencian Community | Valencia Area | 96 | 1
        Seville | Andalusia | Seville Area | 95 | 0.7""",
    ),
    *_cities(
        "BR",
        """
        São Paulo | São Paulo | São Paulo Metropolitan Area | 119 | 4
        Rio de Janeiro | Rio de Janeiro | Rio de Janeiro Area | 219 | 2
        Belo Horizonte | Minas Gerais | Belo Horizonte Area | 319 | 1""",
    ),
    *_cities(
        "SG",
        """
        Singapore | Singapore | Singapore | 6 | 1""",
    ),
    *_cities(
        "JP",
        """
        Tokyo | Tokyo | Greater Tokyo Area | 3 | 4
        Osaka | Osaka | Osaka Area | 6 | 1.5""",
    ),
)
