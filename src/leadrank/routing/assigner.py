"""Choosing owners: rules in order, round robin within a team, capacity caps, the fallback,
and re-routing only where a rule says so. Pure: the caller reads the counts and turns and
writes the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadrank.routing.rules import FALLBACK
from leadrank.routing.ruleset import Facts, Rule, RuleSet


@dataclass(frozen=True)
class Decision:
    """What routing does with one lead: `changed` when `owner` differs from before; `rule` is
    the rule (or "fallback") that chose a new owner; `why` says why nothing changed;
    `passed_over` names the rules (and the fallback) skipped because they were at capacity."""

    owner: str | None
    changed: bool
    rule: str | None = None
    why: str = ""
    passed_over: tuple[str, ...] = ()


@dataclass
class Assigner:
    """Decides lead after lead, keeping the owners' counts and the teams' turns as it goes."""

    rules: RuleSet
    counts: dict[str, int]  # leads each owner has (lower-case email)
    turns: dict[str, int]  # team -> index of the member whose turn it is
    moved: set[str] = field(default_factory=set)  # teams whose turn moved
    # The rules each distinct set of facts matches: leads share facts, so most are tested once.
    _matching: dict[Facts, tuple[Rule, ...]] = field(default_factory=dict, repr=False)

    def has_room(self, email: str) -> bool:
        """Whether the owner is under their cap."""
        owner = self.rules.owners.get(email)
        capacity = owner.capacity if owner is not None else None
        return capacity is None or self.counts.get(email, 0) < capacity

    def decide(self, current: str | None, facts: Facts) -> Decision:
        """The owner for a lead that has `current` (None: no owner yet)."""
        if current:
            return self._owned(current.strip().lower(), current, facts)
        passed: list[str] = []
        for rule in self.matching(facts):
            picked, full = self._pick(rule)
            if picked is not None:
                return self._give(None, picked, rule.name, passed)
            passed.append(full)
        fallback = self.rules.fallback
        if fallback is not None:
            if self.has_room(fallback):
                return self._give(None, fallback, FALLBACK, passed)
            passed.append(f"fallback {fallback} at capacity")
            return Decision(None, False, why="; ".join(passed), passed_over=tuple(passed))
        why = "; ".join([*passed, "no fallback"]) if passed else "no rule matches, no fallback"
        return Decision(None, False, why=why, passed_over=tuple(passed))

    def matching(self, facts: Facts) -> tuple[Rule, ...]:
        """The rules whose conditions the facts meet, in order."""
        found = self._matching.get(facts)
        if found is None:
            found = tuple(rule for rule in self.rules.rules if rule.matches(facts))
            self._matching[facts] = found
        return found

    def _owned(self, email: str, current: str, facts: Facts) -> Decision:
        matched = self.matching(facts)
        if not matched:
            return Decision(current, False, why="has an owner; no rule matches")
        rule = matched[0]
        if not rule.reroute:
            return Decision(current, False, why=f"has an owner; rule {rule.name} does not reroute")
        if rule.owner == email or (rule.team and email in self.rules.teams[rule.team]):
            # A member of the rule's team already owns it: moving it would only churn.
            return Decision(current, False, why=f"rule {rule.name}: already {rule.target()}'s")
        picked, full = self._pick(rule)
        if picked is None:
            return Decision(current, False, why=f"has an owner; {full}", passed_over=(full,))
        return self._give(email, picked, rule.name, [])

    def _pick(self, rule: Rule) -> tuple[str | None, str]:
        """The rule's owner or the team member whose turn it is, if under their cap; else
        None and why."""
        if rule.owner is not None:
            if self.has_room(rule.owner):
                return rule.owner, ""
            return None, f"rule {rule.name}: {rule.owner} at capacity"
        assert rule.team is not None  # a checked rule assigns an owner or a team
        members = self.rules.teams[rule.team]
        start = self.turns.get(rule.team, 0) % len(members)
        for step in range(len(members)):
            index = (start + step) % len(members)
            if self.has_room(members[index]):
                self.turns[rule.team] = (index + 1) % len(members)
                self.moved.add(rule.team)
                return members[index], ""
        return None, f"rule {rule.name}: team {rule.team} at capacity"

    def _give(self, before: str | None, email: str, rule: str, passed: list[str]) -> Decision:
        self.counts[email] = self.counts.get(email, 0) + 1
        if before is not None and before in self.counts:
            self.counts[before] -= 1
        return Decision(email, True, rule=rule, passed_over=tuple(passed))
