"""Routing rules read and checked from YAML: owners, teams, rules tried in order and a fallback
owner. Pure: no I/O. Every error is one BadInput naming the line and the rule.

```yaml
owners:
  - {email: ana@acme.com, name: Ana, hubspot_owner_id: "101", capacity: 200}
  - ben@acme.com
teams:
  emea: [ana@acme.com, ben@acme.com]
rules:                      # the first rule that matches and has room wins
  - name: enterprise-us
    when: {country: [US, CA], employees_min: 1000, grade: [A, B]}
    assign: {owner: ana@acme.com}
  - name: emea
    when: {region: EMEA}
    assign: {team: emea}    # round robin, skipping owners at capacity
    reroute: true           # may take a lead from its current owner
fallback: ben@acme.com
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NoReturn

from leadrank.errors import BadInput
from leadrank.routing.regions import REGIONS, is_country
from leadrank.routing.ruleset import BOUND_KEYS, Condition, Owner, Rule, RuleSet, fold
from leadrank.routing.yaml_text import Lined, LinedList, load_yaml

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")  # rules and teams
GRADES = ("A", "B", "C", "D", "E")
SENIORITIES = ("c_level", "vp", "director", "manager", "ic")
FALLBACK = "fallback"
LIST_KEYS = ("country", "region", "state", "industry", "grade", "seniority", "source")
TOP_KEYS = ("owners", "teams", "rules", "fallback")
OWNER_KEYS = ("email", "name", "hubspot_owner_id", "salesforce_user_id", "capacity")
RULE_KEYS = ("name", "when", "assign", "reroute")
ASSIGN_KEYS = ("owner", "team")
MAX_CAPACITY = 1_000_000_000


def parse_rules(text: str, *, source: str = "routing rules") -> RuleSet:
    """A rule set from YAML, or BadInput naming the first problem's line (and rule)."""
    return check_rules(load_yaml(text, source=source), source=source)


def check_rules(data: Any, *, source: str) -> RuleSet:
    """A rule set from its parsed document (YAML as read, or the stored JSON)."""
    return _Checker(source).ruleset(data)


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(
        self, message: str, node: Any = None, key: Any = None, rule: str | None = None
    ) -> NoReturn:
        parts = [self.source]
        line = _line(node, key)
        if line is not None:
            parts.append(f"line {line}")
        if rule is not None:
            parts.append(f"rule {rule!r}")
        raise BadInput(": ".join(parts) + ": " + message)

    def keys(
        self, mapping: Mapping[Any, Any], known: tuple[str, ...], what: str, rule: str | None = None
    ) -> None:
        for key in mapping:
            if key not in known:
                self.fail(
                    f"unknown key {key!r} in {what}; known: {', '.join(known)}", mapping, key, rule
                )

    def ruleset(self, data: Any) -> RuleSet:
        if data is None:
            self.fail("empty: give owners, rules and a fallback")
        if not isinstance(data, Mapping):
            self.fail("a rule set is a mapping of owners, teams, rules and fallback", data)
        self.keys(data, TOP_KEYS, "the rule set")
        owners = self.owners(data)
        teams = self.teams(data, owners)
        rules = self.rules(data, owners, teams)
        fallback = self.fallback(data, owners)
        if not rules and fallback is None:
            self.fail("no rules and no fallback: nothing would be routed", data)
        return RuleSet(owners=owners, teams=teams, rules=rules, fallback=fallback)

    def email(self, value: Any, node: Any, key: Any, what: str, rule: str | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{what}: an email address is needed", node, key, rule)
        email = value.strip().lower()
        if len(email) > 320 or not EMAIL.match(email):
            self.fail(f"{what}: {value!r} is not an email address", node, key, rule)
        return email

    def owners(self, data: Mapping[str, Any]) -> dict[str, Owner]:
        listed = data.get("owners")
        if not isinstance(listed, list) or not listed:
            self.fail(
                "owners: list everyone who can own leads (email, with name, capacity, "
                "hubspot_owner_id, salesforce_user_id as needed)",
                data,
                "owners",
            )
        owners: dict[str, Owner] = {}
        for index, item in enumerate(listed):
            if isinstance(item, str):
                email = self.email(item, listed, index, "owner")
                item = {"email": email}
            elif isinstance(item, Mapping):
                self.keys(item, OWNER_KEYS, "an owner")
                email = self.email(item.get("email"), item, "email", "owner")
            else:
                self.fail("an owner is an email or a mapping with email", listed, index)
            if email in owners:
                self.fail(f"owner {email} is listed twice", listed, index)
            capacity = item.get("capacity")
            if capacity is not None and (
                isinstance(capacity, bool)
                or not isinstance(capacity, int)
                or not 0 <= capacity <= MAX_CAPACITY
            ):
                self.fail(
                    f"{email}: capacity is a whole number of leads, 0 or more", item, "capacity"
                )
            owners[email] = Owner(
                email=email,
                name=self.text(item, "name", email, 200),
                hubspot_owner_id=self.text(item, "hubspot_owner_id", email, 64, numbers=True),
                salesforce_user_id=self.text(item, "salesforce_user_id", email, 64, numbers=True),
                capacity=capacity,
            )
        return owners

    def text(
        self, item: Mapping[str, Any], key: str, email: str, longest: int, numbers: bool = False
    ) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        if numbers and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > longest:
            self.fail(f"{email}: {key} is text of 1-{longest} characters", item, key)
        return value.strip()

    def teams(
        self, data: Mapping[str, Any], owners: dict[str, Owner]
    ) -> dict[str, tuple[str, ...]]:
        listed = data.get("teams")
        if listed is None:
            return {}
        if not isinstance(listed, Mapping):
            self.fail("teams: a mapping of team names to lists of owners", data, "teams")
        teams: dict[str, tuple[str, ...]] = {}
        for name, members in listed.items():
            if not isinstance(name, str) or not NAME.match(name):
                self.fail(
                    f"team name {name!r}: letters, digits, -, _ and . (up to 100)", listed, name
                )
            if not isinstance(members, list) or not members:
                self.fail(f"team {name} has no members", listed, name)
            emails: list[str] = []
            for index, member in enumerate(members):
                email = self.email(member, members, index, f"team {name}")
                if email not in owners:
                    self.fail(f"team {name}: {email} is not among the owners", members, index)
                if email in emails:
                    self.fail(f"team {name}: {email} is listed twice", members, index)
                emails.append(email)
            teams[name] = tuple(emails)
        return teams

    def rules(
        self, data: Mapping[str, Any], owners: dict[str, Owner], teams: dict[str, tuple[str, ...]]
    ) -> tuple[Rule, ...]:
        listed = data.get("rules")
        if listed is None:
            return ()
        if not isinstance(listed, list):
            self.fail("rules: a list of rules, tried in order", data, "rules")
        rules: list[Rule] = []
        for index, item in enumerate(listed):
            if not isinstance(item, Mapping):
                self.fail("a rule is a mapping of name, when, assign and reroute", listed, index)
            name = item.get("name")
            if not isinstance(name, str) or not NAME.match(name):
                self.fail(
                    f"rule {index + 1} needs a name: letters, digits, -, _ and . (up to 100)",
                    item,
                    "name" if "name" in item else None,
                )
            if name == FALLBACK:
                self.fail(
                    "'fallback' names the fallback owner; call the rule otherwise", item, "name"
                )
            if any(rule.name == name for rule in rules):
                self.fail("two rules have this name", item, "name", name)
            self.keys(item, RULE_KEYS, "a rule", name)
            reroute = item.get("reroute", False)
            if not isinstance(reroute, bool):
                self.fail("reroute is true or false", item, "reroute", name)
            owner, team = self.assign(item, name, owners, teams)
            rules.append(Rule(name, self.when(item, name), owner=owner, team=team, reroute=reroute))
        return tuple(rules)

    def when(self, rule: Mapping[str, Any], name: str) -> tuple[Condition, ...]:
        given = rule.get("when")
        if given is None:
            return ()
        if not isinstance(given, Mapping):
            self.fail(
                f"when: a mapping of conditions ({', '.join(LIST_KEYS + BOUND_KEYS)})",
                rule,
                "when",
                name,
            )
        self.keys(given, LIST_KEYS + BOUND_KEYS, "when", name)
        conditions: list[Condition] = []
        for key, value in given.items():
            if key in BOUND_KEYS:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    self.fail(f"{key}: a whole number of employees, 0 or more", given, key, name)
                conditions.append(Condition(key, bound=value))
                continue
            items = value if isinstance(value, list) else [value]
            if not items:
                self.fail(f"{key}: give at least one value", given, key, name)
            values = {self.value(key, item, given, name) for item in items}
            conditions.append(Condition(key, values=frozenset(values)))
        low, high = given.get("employees_min"), given.get("employees_max")
        if low is not None and high is not None and low > high:
            self.fail(
                "employees_min is above employees_max: no lead could match",
                given,
                "employees_min",
                name,
            )
        return tuple(conditions)

    def value(self, key: str, item: Any, given: Mapping[str, Any], name: str) -> str:
        if isinstance(item, bool):
            self.fail(
                f'{key}: {item!r} reads as true/false in YAML; quote it ("NO")', given, key, name
            )
        if not isinstance(item, str | int | float) or not str(item).strip():
            self.fail(f"{key}: {item!r} is not a value to compare", given, key, name)
        text = str(item).strip()
        if key == "country":
            if not is_country(text.upper()):
                self.fail(
                    f"country: unknown country {text!r} (ISO 3166-1 alpha-2, like US or DE)",
                    given,
                    key,
                    name,
                )
            return text.upper()
        if key == "region":
            if text.upper() not in REGIONS:
                self.fail(
                    f"region: unknown region {text!r}; regions are {', '.join(REGIONS)}",
                    given,
                    key,
                    name,
                )
            return text.upper()
        if key == "grade":
            if text.upper() not in GRADES:
                self.fail(f"grade: unknown grade {text!r}; grades are A-E", given, key, name)
            return text.upper()
        if key == "seniority":
            if text.lower() not in SENIORITIES:
                self.fail(
                    f"seniority: unknown level {text!r}; levels are {', '.join(SENIORITIES)}",
                    given,
                    key,
                    name,
                )
            return text.lower()
        folded = fold(text)
        assert folded is not None  # text is not blank
        return folded

    def assign(
        self,
        rule: Mapping[str, Any],
        name: str,
        owners: dict[str, Owner],
        teams: dict[str, tuple[str, ...]],
    ) -> tuple[str | None, str | None]:
        given = rule.get("assign")
        if not isinstance(given, Mapping):
            self.fail(
                "assign: {owner: EMAIL} or {team: NAME}",
                rule,
                "assign" if "assign" in rule else None,
                name,
            )
        self.keys(given, ASSIGN_KEYS, "assign", name)
        if ("owner" in given) == ("team" in given):
            self.fail("assign: give an owner or a team (one of them)", given, None, name)
        if "owner" in given:
            email = self.email(given["owner"], given, "owner", "assign", name)
            if email not in owners:
                self.fail(
                    f"assign: unknown owner {email}; list them under owners", given, "owner", name
                )
            return email, None
        team = given["team"]
        if not isinstance(team, str) or team not in teams:
            self.fail(f"assign: unknown team {team!r}; declare it under teams", given, "team", name)
        return None, team

    def fallback(self, data: Mapping[str, Any], owners: dict[str, Owner]) -> str | None:
        value = data.get("fallback")
        if value is None:
            return None
        email = self.email(value, data, "fallback", "fallback")
        if email not in owners:
            self.fail(f"fallback: {email} is not among the owners", data, "fallback")
        return email


def _line(node: Any, key: Any) -> int | None:
    """The line of `key` within `node` (a mapping's key, a list's index), else of `node`."""
    if isinstance(node, Lined) and key is not None and key in node.key_lines:
        return node.key_lines[key]
    if isinstance(node, LinedList) and isinstance(key, int) and 0 <= key < len(node.item_lines):
        return node.item_lines[key]
    if isinstance(node, Lined | LinedList):
        return node.line
    return None
