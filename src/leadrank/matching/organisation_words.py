"""Words of organisation names: legal forms by country, words that carry no identity, and the
abbreviations names are written with. Folded forms (lower case, no dots or accents), as
`organisations.organisation_words` sees them after joining spelled letters ("N.V." -> "nv")."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pycountry


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


LEGAL_FORMS = _words(
    # English-speaking countries
    "inc incorporated llc llp lp ltd limited plc pty pc pllc corp corporation co company "
    "lc unlimited cic "
    # Germany, Austria, Switzerland
    "gmbh mbh ag kg kgaa ohg gbr ug ev eg se aktiengesellschaft gesellschaft "
    # Netherlands, Belgium
    "bv nv vof cv bvba sprl cvba naamloze besloten vennootschap "
    # France, Spain, Portugal, Italy, Latin America
    "sa sas sasu sarl sca snc eurl sl slu sau srl spa sapa scarl ltda sac saa cia lda "
    # Nordic countries
    "ab oy oyj asa aps as hf "
    # Central and Eastern Europe
    "sro as zoo spolka kft zrt nyrt doo dd ad ood eood oao ooo zao pao пао оао ооо зао ао "
    # Asia and Oceania
    "kk gk yk kabushiki kaisha yugen godo pte pvt private tbk pt bhd sdn jsc "
    # Holdings and groups tell a parent's filings apart, not the business
    "holding holdings group"
)

# Words that join or introduce names without telling organisations apart.
NOISE_WORDS = _words(
    "the and of for a an at in on by to de der den des du di da la le les el los las van von "
    "voor und fur et y e il lo het"
)

ABBREVIATIONS: dict[str, str] = {
    # international
    "intl": "international",
    "int": "international",
    "internat": "international",
    "internatl": "international",
    "internationale": "international",
    "internacional": "international",
    "internazionale": "international",
    "interntl": "international",
    # research, science, technology
    "res": "research",
    "rsch": "research",
    "sci": "science",
    "scient": "scientific",
    "tech": "technology",
    "techn": "technology",
    "technol": "technology",
    "technologie": "technology",
    "technologies": "technology",
    "lab": "laboratory",
    "labs": "laboratory",
    "laboratorie": "laboratory",
    "laboratories": "laboratory",
    "eng": "engineering",
    "engr": "engineering",
    "engg": "engineering",
    "dev": "development",
    "devel": "development",
    "mfg": "manufacturing",
    "manuf": "manufacturing",
    "chem": "chemical",
    "pharm": "pharmaceutical",
    "pharma": "pharmaceutical",
    "elec": "electric",
    "electr": "electronic",
    "sys": "system",
    "syst": "system",
    "svc": "service",
    "svcs": "service",
    "serv": "service",
    "mgmt": "management",
    "mgt": "management",
    "ind": "industry",
    "indus": "industry",
    "industrie": "industry",
    "industries": "industry",
    # academia and public bodies
    "univ": "university",
    "uni": "university",
    "universiteit": "university",
    "universitat": "university",
    "universite": "university",
    "universita": "university",
    "universidad": "university",
    "dept": "department",
    "dep": "department",
    "depart": "department",
    "inst": "institute",
    "instit": "institute",
    "institut": "institute",
    "instituut": "institute",
    "coll": "college",
    "sch": "school",
    "fac": "faculty",
    "hosp": "hospital",
    "med": "medical",
    "ctr": "center",
    "cntr": "center",
    "centre": "center",
    "centrum": "center",
    "natl": "national",
    "nat": "national",
    "assoc": "association",
    "assn": "association",
    "soc": "society",
    "fdn": "foundation",
    "govt": "government",
    "admin": "administration",
    "div": "division",
    # trade
    "mij": "maatschappij",
    "mtsch": "maatschappij",
    "bros": "brother",
    "amer": "american",
    "am": "american",
    "gen": "general",
    "mach": "machine",
    "comm": "communication",
    "commun": "communication",
    "telecom": "telecommunication",
    "fin": "financial",
    "finl": "financial",
    "ins": "insurance",
    "mkt": "market",
    "mktg": "marketing",
    "prod": "product",
    "distr": "distribution",
    "dist": "distribution",
    "equip": "equipment",
    "instr": "instrument",
    "constr": "construction",
    "consult": "consulting",
    "consultancy": "consulting",
}

# Words that describe what an organisation does or is, shared by many unrelated names: two
# names that agree only on these say little, whatever the file's own counts.
GENERIC_WORDS = _words(
    "international global national american european north south east west central united "
    "general new first world universal american us usa uk america europe asia pacific "
    "technology system solution service consulting research development science scientific "
    "engineering manufacturing industry product network software data digital analytic "
    "communication telecommunication electronic electric energy power medical health "
    "healthcare pharmaceutical chemical material financial finance capital investment bank "
    "insurance partner associate management marketing media design creative studio "
    "university institute college school department faculty laboratory center centre "
    "foundation association society hospital clinic agency office division unit "
    "business enterprise trading trade commercial logistics transport equipment instrument "
    "machine construction property real estate home care food "
)

# Countries and regions as organisations name their branches in their own languages.
_NATIVE_PLACES = _words(
    "deutschland nederland espana italia schweiz suisse svizzera osterreich belgique belgie "
    "danmark sverige norge suomi polska cesko magyarorszag nippon zhongguo bharat brasil "
    "mexico emea apac latam americas nordic nordics benelux dach iberia scandinavia "
    "europa asian african middle eastern western northern southern"
)


@cache
def place_words() -> frozenset[str]:
    """Words of country names (pycountry's, folded) and regions: "France", "United Kingdom",
    "Deutschland". A branch's country tells its sites apart, not organisations."""
    names: set[str] = set()
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
                words = re.sub(r"[^a-z]+", " ", folded.casefold()).split()
                names.update(word for word in words if len(word) > 2)
    return frozenset(names - NOISE_WORDS - {"republic"}) | _NATIVE_PLACES | {"uk", "us", "usa"}
