"""Which input columns carry which kind of identity evidence (a "role"), guessed from headers
and values, or given by the user."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from leadrank.errors import BadInput

ENTITIES = ("person", "company")

# Roles in the order they are compared. Several columns may share "address" (street number,
# lines): they are read as one address.
ROLES = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "company",
    "domain",
    "address",
    "city",
    "postcode",
    "state",
    "country",
    "date",
    "identifier",
    "title",
    "category",
)
MULTI_COLUMN_ROLES = frozenset({"address"})

_HEADERS: dict[str, frozenset[str]] = {
    role: frozenset(names)
    for role, names in {
        "first_name": {"first_name", "firstname", "given_name", "givenname", "fname", "forename"},
        "last_name": {"last_name", "lastname", "surname", "lname", "family_name"},
        "full_name": {"full_name", "fullname", "contact", "contact_name", "person", "person_name"},
        "email": {"email", "e_mail", "email_address", "e_mail_address", "work_email", "mail"},
        "phone": {
            "phone",
            "telephone",
            "tel",
            "mobile",
            "phone_number",
            "mobile_phone",
            "work_phone",
            "cell",
        },
        "company": {
            "company",
            "company_name",
            "organisation",
            "organization",
            "account",
            "account_name",
            "employer",
            "business",
            "business_name",
            "org",
            "org_name",
            "organisation_name",
            "organization_name",
            "affiliation",
            "affil",
            "institution",
            "applicant",
            "assignee",
        },
        "domain": {"domain", "website", "company_domain", "url", "homepage", "web_site"},
        "address": {
            "address",
            "address_1",
            "address1",
            "address_2",
            "address2",
            "address_line_1",
            "address_line_2",
            "street",
            "street_address",
            "street_number",
            "addr",
        },
        "city": {"city", "town", "suburb", "locality"},
        "postcode": {"postcode", "post_code", "zip", "zip_code", "zipcode", "postal_code"},
        "state": {"state", "region", "province", "county"},
        "country": {"country", "country_code"},
        "date": {"date_of_birth", "dob", "birth_date", "birthdate", "birthday"},
        "identifier": {
            "soc_sec_id",
            "ssn",
            "national_id",
            "tax_id",
            "passport",
            "vat",
            "vat_number",
            "registration_number",
        },
        "title": {"title", "job_title", "position", "role"},
        "category": {"cuisine", "industry", "category", "sector"},
    }.items()
}
_NON_WORD = re.compile(r"[^0-9a-z]+")
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def header_key(header: str) -> str:
    """ "E-mail Address" -> "e_mail_address"."""
    return _NON_WORD.sub("_", header.strip().lower()).strip("_")


@dataclass(frozen=True)
class RoleMap:
    """Role -> the input columns that carry it, and the columns left out of matching."""

    columns: dict[str, list[str]]
    ignored: list[str] = field(default_factory=list)

    def described(self) -> str:
        """ "first_name <- given_name; address <- street_number, address_1"."""
        return "; ".join(f"{role} <- {', '.join(cols)}" for role, cols in self.columns.items())


def guess_roles(
    frame: pl.DataFrame,
    *,
    entity: str,
    explicit: Mapping[str, str] | None = None,
    ignore: Sequence[str] = (),
) -> RoleMap:
    """Roles from explicit "role=column" choices first, then headers, then values.

    A column whose values are unique on every row and whose header names an id is a record id:
    it tells rows apart, so it is never evidence that two rows are the same.
    """
    if entity not in ENTITIES:
        raise BadInput(f"unknown entity {entity!r}; use person or company")
    explicit = dict(explicit or {})
    missing = [c for c in [*explicit.values(), *ignore] if c not in frame.columns]
    if missing:
        raise BadInput(f"no column named {', '.join(repr(c) for c in missing)} in the input")
    unknown = [r for r in explicit if r not in ROLES]
    if unknown:
        raise BadInput(f"unknown role {unknown[0]!r}; roles are {', '.join(ROLES)}")
    columns: dict[str, list[str]] = {role: [column] for role, column in explicit.items()}
    taken = set(explicit.values()) | set(ignore)
    ignored = list(ignore)
    for column in frame.columns:
        if column in taken:
            continue
        role = _role_of_header(header_key(column), entity) or _role_of_values(frame[column])
        if role is None:
            if _is_record_id(frame[column], column):
                ignored.append(column)
            continue
        if role in columns and role not in MULTI_COLUMN_ROLES:
            continue  # the first column of a role wins; the user can say otherwise
        columns.setdefault(role, []).append(column)
    if entity == "company" and "company" not in columns:
        named = _name_column(frame, taken | {c for cols in columns.values() for c in cols})
        if named is not None:
            columns["company"] = [named]
            ignored = [c for c in ignored if c != named]
    ordered = {role: columns[role] for role in ROLES if role in columns}
    if not ordered:
        raise BadInput(
            "found no column to match on; name them with --column ROLE=COLUMN "
            f"(roles: {', '.join(ROLES)})"
        )
    return RoleMap(ordered, ignored)


def _name_column(frame: pl.DataFrame, taken: set[str]) -> str | None:
    """For companies with no column named as a name: the text column of words ("Akzo Nobel
    N.V.", not codes or numbers), names of several words before codes of one ("AFF-0012"),
    then the one with the most distinct values."""
    best, rank = None, (False, 0)
    for column in frame.columns:
        values = frame[column]
        if column in taken or values.dtype != pl.String:
            continue
        sample = values.drop_nulls().head(1_000)
        if sample.is_empty() or sample.str.contains(r"[^\W\d_]{3}").mean() < 0.8:  # type: ignore[operator]
            continue
        spaced = bool(sample.str.strip_chars().str.contains(r"\s").mean() >= 0.5)  # type: ignore[operator]
        candidate = (spaced, sample.n_unique())
        if candidate > rank:
            best, rank = column, candidate
    return best


def _role_of_header(key: str, entity: str) -> str | None:
    if key == "name":  # a bare "name" is the entity's own name
        return "company" if entity == "company" else "full_name"
    for role, names in _HEADERS.items():
        if key in names:
            return role
    return None


def _role_of_values(values: pl.Series) -> str | None:
    if values.dtype != pl.String:
        return None
    sample = values.drop_nulls().head(1_000)
    if sample.is_empty():
        return None
    if sample.str.contains(_EMAIL).mean() >= 0.8:  # type: ignore[operator]
        return "email"
    return None


def _is_record_id(values: pl.Series, header: str) -> bool:
    key = header_key(header)
    named_id = key == "id" or key.endswith("_id") or key.startswith("id_") or key == "uuid"
    return named_id and values.drop_nulls().n_unique() == values.len()
