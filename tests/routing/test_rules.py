"""Rule sets read from YAML, their errors, regions, and the choice of owners (no database)."""

from __future__ import annotations

import pycountry
import pytest

from leadrank.errors import BadInput
from leadrank.routing.assigner import Assigner
from leadrank.routing.regions import REGIONS, region_of
from leadrank.routing.rules import check_rules, parse_rules
from leadrank.routing.ruleset import crm_owner_id, facts_of

RULES = """\
owners:
  - {email: Ana@Acme.com, name: Ana, hubspot_owner_id: 101, salesforce_user_id: "005000000000001AAA", capacity: 200}
  - {email: ben@acme.com, capacity: 150}
  - cy@acme.com
teams:
  emea: [ana@acme.com, ben@acme.com]
rules:
  - name: enterprise-us
    when: {country: [us, CA], employees_min: 1000, grade: [A, b]}
    assign: {owner: ana@acme.com}
  - name: emea
    when: {region: EMEA, industry: [Software, "Financial  Services"]}
    assign: {team: emea}
    reroute: true
fallback: cy@acme.com
"""


def test_a_rule_set_reads_checks_and_survives_storage() -> None:
    rules = parse_rules(RULES)
    assert list(rules.owners) == ["ana@acme.com", "ben@acme.com", "cy@acme.com"]
    assert rules.owners["ana@acme.com"].hubspot_owner_id == "101"
    assert rules.teams == {"emea": ("ana@acme.com", "ben@acme.com")}
    first, second = rules.rules
    assert (first.owner, first.reroute, second.team, second.reroute) == (
        "ana@acme.com",
        False,
        "emea",
        True,
    )
    assert rules.fallback == "cy@acme.com" and rules.uses("grade") and not rules.uses("state")
    assert check_rules(rules.document(), source="stored") == rules

    big_us = facts_of(country="us", employees=5_000, grade="a")
    assert first.matches(big_us) and not first.matches(facts_of(country="US", employees=999))
    assert not first.matches(facts_of(country="US", employees=5_000))  # no grade: no match
    german = facts_of(country="DE", industry=" financial services ")
    assert german.region == "EMEA" and second.matches(german)
    assert rules.first_match(facts_of(country="DE", industry="retail")) is None
    assert "employees 999 < 1,000" in first.conditions[1].explained(facts_of(employees=999))


def test_crm_owner_ids_come_from_the_owners() -> None:
    rules = parse_rules(RULES)
    assert crm_owner_id(rules, "ANA@acme.com", "hubspot") == "101"
    assert crm_owner_id(rules, "ana@acme.com", "salesforce") == "005000000000001AAA"
    assert crm_owner_id(rules, "ben@acme.com", "hubspot") is None
    assert crm_owner_id(rules, "nobody@acme.com", "hubspot") is None
    assert crm_owner_id(None, "ana@acme.com", "hubspot") is None
    with pytest.raises(ValueError, match="unknown CRM"):
        crm_owner_id(rules, "ana@acme.com", "pipedrive")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("emea: [ana@acme.com, ben@acme.com]", "emea: [ana@acme.com, zed@acme.com]"),
         "line 6: team emea: zed@acme.com is not among the owners"),
        (("emea: [ana@acme.com, ben@acme.com]", "emea: []"), "line 6: team emea has no members"),
        (("{owner: ana@acme.com}", "{owner: zed@acme.com}"),
         "line 10: rule 'enterprise-us': assign: unknown owner zed@acme.com"),
        (("{team: emea}", "{team: apac}"), "line 13: rule 'emea': assign: unknown team 'apac'"),
        (("region: EMEA", "region: MARS"), "line 12: rule 'emea': region: unknown region 'MARS'"),
        (("employees_min", "employee_min"), "line 9: rule 'enterprise-us': unknown key 'employee_min' in when"),
        (("[us, CA]", "[us, NO]"), "rule 'enterprise-us': country: False reads as true/false"),
        (("[us, CA]", "[us, XX]"), "rule 'enterprise-us': country: unknown country 'XX'"),
        (("fallback: cy@acme.com", "fallback: zed@acme.com"), "line 15: fallback: zed@acme.com is not among the owners"),
        (("reroute: true", "reroute: sometimes"), "line 14: rule 'emea': reroute is true or false"),
        (("name: emea", "name: enterprise-us"), "line 11: rule 'enterprise-us': two rules have this name"),
        (("teams:", "team:"), "line 5: unknown key 'team' in the rule set"),
        (("capacity: 150", "capacity: -1"), "line 3: ben@acme.com: capacity is a whole number"),
        (("  - cy@acme.com\n", "  - cy@acme.com\n  - cy@acme.com\n"), "line 5: owner cy@acme.com is listed twice"),
        (("{owner: ana@acme.com}", "{owner: ana@acme.com, team: emea}"), "give an owner or a team"),
        (("grade: [A, b]", "grade: [A, F]"), "grade: unknown grade 'F'"),
        (("[A, b]}", "[A, b]\n"), "line 11: not valid YAML"),
        (("rules:", "fallback: ben@acme.com\nrules:"), "line 16: 'fallback' is given twice"),
    ],
)  # fmt: skip
def test_mistakes_are_one_line_naming_where(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in RULES
    with pytest.raises(BadInput) as caught:
        parse_rules(RULES.replace(old, new, 1), source="rules.yaml")
    assert caught.value.message.startswith("rules.yaml: ")
    assert message in caught.value.message and "\n" not in caught.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("- a\n- b\n", "a rule set is a mapping"),
        ("owners: [ana@acme.com]\n", "no rules and no fallback"),
        ("owners: [not-an-email]\nfallback: not-an-email\n", "'not-an-email' is not an email"),
        ("owners: []\n", "owners: list everyone"),
        ("a: &a [*a]\n", "not valid YAML"),
    ],
)
def test_documents_that_are_no_rule_sets(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_rules(text)


def test_every_country_but_antarctica_has_a_region() -> None:
    codes = [str(country.alpha_2) for country in pycountry.countries]
    regions = {code: region_of(code) for code in codes}
    assert {code for code, region in regions.items() if region is None} == {"AQ"}
    assert set(regions.values()) - {None} == set(REGIONS)
    assert [region_of(c) for c in ("de", "US", "BR", "JP", "AE", "ZA", None)] == [
        "EMEA",
        "NA",
        "LATAM",
        "APAC",
        "EMEA",
        "EMEA",
        None,
    ]


def test_round_robin_skips_owners_at_capacity_then_falls_back() -> None:
    rules = parse_rules(
        """
owners:
  - {email: a@x.io, capacity: 2}
  - {email: b@x.io, capacity: 3}
  - {email: c@x.io, capacity: 1}
teams: {t: [a@x.io, b@x.io]}
rules: [{name: all, assign: {team: t}}]
fallback: c@x.io
"""
    )
    assigner = Assigner(rules, {"a@x.io": 1}, {"t": 0})
    picked = [assigner.decide(None, facts_of()) for _ in range(6)]
    assert [d.owner for d in picked] == ["a@x.io", "b@x.io", "b@x.io", "b@x.io", "c@x.io", None]
    assert [d.rule for d in picked[:5]] == ["all"] * 4 + ["fallback"]
    assert picked[4].passed_over == ("rule all: team t at capacity",)
    assert picked[5].why == "rule all: team t at capacity; fallback c@x.io at capacity"
    assert assigner.counts == {"a@x.io": 2, "b@x.io": 3, "c@x.io": 1}


def test_an_owned_lead_moves_only_when_its_rule_reroutes() -> None:
    rules = parse_rules(
        """
owners: [a@x.io, b@x.io, c@x.io]
teams: {t: [a@x.io, b@x.io]}
rules:
  - {name: de, when: {country: DE}, assign: {team: t}, reroute: true}
  - {name: us, when: {country: US}, assign: {owner: c@x.io}}
"""
    )
    assigner = Assigner(rules, {}, {})
    moved = assigner.decide("Old@X.io", facts_of(country="DE"))
    assert (moved.changed, moved.owner, moved.rule) == (True, "a@x.io", "de")
    member = assigner.decide("B@x.io", facts_of(country="DE"))  # already the team's: no churn
    assert not member.changed and member.owner == "B@x.io"
    kept = assigner.decide("old@x.io", facts_of(country="US"))
    assert not kept.changed and "does not reroute" in kept.why
    unmatched = assigner.decide(None, facts_of(country="FR"))
    assert unmatched.owner is None and unmatched.why == "no rule matches, no fallback"
