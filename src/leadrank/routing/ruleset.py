"""A routing rule set as code uses it: owners, teams, rules tried in order and a fallback
owner; a lead's facts and the tests of a rule's conditions. Pure: no I/O. `rules.py` reads and
checks rule sets into these."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from leadrank.routing.regions import region_of

BOUND_KEYS = ("employees_min", "employees_max")
CRM_FIELDS = {"hubspot": "hubspot_owner_id", "salesforce": "salesforce_user_id"}


@dataclass(frozen=True, slots=True)
class Facts:
    """What rules test of one lead, in the forms conditions compare (see `facts_of`)."""

    country: str | None = None
    region: str | None = None
    state: str | None = None
    employees: int | None = None
    industry: str | None = None
    grade: str | None = None
    seniority: str | None = None
    source: str | None = None


def facts_of(
    *,
    country: str | None = None,
    state: str | None = None,
    employees: int | None = None,
    industry: str | None = None,
    grade: str | None = None,
    seniority: str | None = None,
    source: str | None = None,
) -> Facts:
    """A lead's facts as conditions compare them: codes upper case, words folded."""
    code = country.strip().upper() or None if country else None
    return Facts(
        country=code,
        region=region_of(code),
        state=fold(state),
        employees=employees,
        industry=fold(industry),
        grade=grade.strip().upper() or None if grade else None,
        seniority=seniority.strip().lower() or None if seniority else None,
        source=fold(source),
    )


def fold(text: str | None) -> str | None:
    """Text compared without regard to case or runs of spaces."""
    if not text:
        return None
    return " ".join(text.split()).casefold() or None


@dataclass(frozen=True, slots=True)
class Condition:
    """One test of a rule: a fact among `values`, or the employees against a `bound`."""

    key: str
    values: frozenset[str] = frozenset()
    bound: int = 0

    def holds(self, facts: Facts) -> bool:
        """Whether the lead passes; a fact the lead lacks never passes."""
        if self.key == "employees_min":
            return facts.employees is not None and facts.employees >= self.bound
        if self.key == "employees_max":
            return facts.employees is not None and facts.employees <= self.bound
        value = getattr(facts, self.key)
        return value is not None and value in self.values

    def explained(self, facts: Facts) -> str:
        """The test and its outcome in words, for `routing explain`."""
        if self.key in BOUND_KEYS:
            sign = "≥" if self.key == "employees_min" else "≤"
            if facts.employees is None:
                return f"employees unknown (needs {sign} {self.bound:,})"
            if not self.holds(facts):
                sign = "<" if self.key == "employees_min" else ">"
            return f"employees {facts.employees:,} {sign} {self.bound:,}"
        value = getattr(facts, self.key)
        listed = ", ".join(self.written())
        if value is None:
            return f"{self.key} unknown (needs one of {listed})"
        among = "is" if value in self.values else "is not"
        return f"{self.key} {value} {among} one of {listed}"

    def written(self) -> list[str]:
        """The values as stored, sorted."""
        return sorted(self.values)


@dataclass(frozen=True, slots=True)
class Rule:
    """When a lead matches every condition, its owner is `owner` or one of `team`'s."""

    name: str
    conditions: tuple[Condition, ...]
    owner: str | None = None
    team: str | None = None
    reroute: bool = False

    def matches(self, facts: Facts) -> bool:
        """Whether every condition holds (a rule without conditions matches every lead)."""
        return all(condition.holds(facts) for condition in self.conditions)

    def target(self) -> str:
        """Whom the rule assigns, in words."""
        return f"team {self.team}" if self.team else str(self.owner)


@dataclass(frozen=True, slots=True)
class Owner:
    """Someone who can own leads; `capacity` caps the leads they own (None: no cap)."""

    email: str
    name: str | None = None
    hubspot_owner_id: str | None = None
    salesforce_user_id: str | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class RuleSet:
    """A checked rule set: every owner a team or rule names is among `owners`."""

    owners: dict[str, Owner]
    teams: dict[str, tuple[str, ...]]
    rules: tuple[Rule, ...]
    fallback: str | None = None

    def uses(self, key: str) -> bool:
        """Whether some rule tests this fact."""
        return any(c.key == key for rule in self.rules for c in rule.conditions)

    def first_match(self, facts: Facts) -> Rule | None:
        """The first rule whose conditions the lead meets."""
        return next((rule for rule in self.rules if rule.matches(facts)), None)

    def document(self) -> dict[str, Any]:
        """The rule set as JSON, in the canonical form `check_rules` reads back."""
        return {
            "owners": [
                {key: value for key, value in asdict(owner).items() if value is not None}
                for owner in self.owners.values()
            ],
            "teams": {name: list(members) for name, members in self.teams.items()},
            "rules": [
                {
                    "name": rule.name,
                    "when": {
                        c.key: c.bound if c.key in BOUND_KEYS else c.written()
                        for c in rule.conditions
                    },
                    "assign": {"team": rule.team} if rule.team else {"owner": rule.owner},
                    "reroute": rule.reroute,
                }
                for rule in self.rules
            ],
            "fallback": self.fallback,
        }


def crm_owner_id(rules: RuleSet | None, email: str | None, vendor: str) -> str | None:
    """The CRM's id of an owner (`hubspot_owner_id` for "hubspot", `salesforce_user_id` for
    "salesforce") from the rule set's owners; None when the owner or the id is not there."""
    field = CRM_FIELDS.get(vendor)
    if field is None:
        raise ValueError(f"unknown CRM {vendor!r}; known: {', '.join(CRM_FIELDS)}")
    if rules is None or not email:
        return None
    owner = rules.owners.get(email.strip().lower())
    found: str | None = getattr(owner, field) if owner is not None else None
    return found
