"""Two versions of an ideal customer profile side by side: the rules and hard filters added,
removed and changed, the groups whose caps changed, and the engagement settings that differ.

A rule of one version is the "same" rule in the other when everything about it is equal;
otherwise a rule testing the same field with the same operator (else the same field) is
taken for it, changed; what is left was added or removed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from leadrank.scoring.icp import Condition, Profile

Change = Literal["same", "changed", "added", "removed"]
Item = TypeVar("Item", bound=Condition)
T = TypeVar("T")


@dataclass(frozen=True)
class Paired(Generic[T]):
    """One rule (or filter, or group) in the older version and the newer, and how it moved."""

    change: Change
    before: T | None
    after: T | None


@dataclass(frozen=True)
class Setting:
    """A setting of both versions (a group's cap, an engagement value)."""

    name: str
    before: Any
    after: Any

    @property
    def change(self) -> Change:
        """How the setting moved from the older version to the newer."""
        if self.before == self.after:
            return "same"
        if self.before is None:
            return "added"
        return "removed" if self.after is None else "changed"


@dataclass(frozen=True)
class ProfileComparison:
    """What differs between two versions of a profile."""

    rules: list[Paired[Condition]]
    filters: list[Paired[Condition]]
    groups: list[Setting]
    engagement: list[Setting]
    description: Setting

    @property
    def counts(self) -> dict[Change, int]:
        """How many rules and filters were added, removed, changed and kept."""
        counted: dict[Change, int] = {"added": 0, "removed": 0, "changed": 0, "same": 0}
        for pair in [*self.rules, *self.filters]:
            counted[pair.change] += 1
        return counted


def compare_profiles(before: Profile, after: Profile) -> ProfileComparison:
    """What changed from `before` to `after`."""
    groups = sorted({*before.groups, *after.groups})
    caps = [
        Setting(
            name,
            before.groups[name].cap if name in before.groups else None,
            after.groups[name].cap if name in after.groups else None,
        )
        for name in groups
    ]
    return ProfileComparison(
        rules=pair_up(before.rules, after.rules),
        filters=pair_up(before.filters, after.filters),
        groups=caps,
        engagement=_engagement(before, after),
        description=Setting("description", before.description, after.description),
    )


def pair_up(before: Sequence[Item], after: Sequence[Item]) -> list[Paired[Condition]]:
    """The rules of two versions matched up, in the newer version's order, the removed last."""
    left = list(range(len(before)))
    matched: dict[int, tuple[int, Change]] = {}  # index in after -> (index in before, change)
    keys: tuple[Callable[[Condition], object], ...] = (
        lambda c: c.model_dump(mode="json"),
        lambda c: (c.field, c.op, getattr(c, "group", None)),
        lambda c: (c.field, c.op),
        lambda c: c.field,
    )
    for step, key in enumerate(keys):
        for index, rule in enumerate(after):
            if index in matched:
                continue
            wanted = key(rule)
            found = next((i for i in left if key(before[i]) == wanted), None)
            if found is not None:
                left.remove(found)
                matched[index] = (found, "same" if step == 0 else "changed")
    pairs: list[Paired[Condition]] = []
    for index, rule in enumerate(after):
        if index in matched:
            old, change = matched[index]
            pairs.append(Paired(change, before[old], rule))
        else:
            pairs.append(Paired("added", None, rule))
    pairs.extend(Paired("removed", before[i], None) for i in left)
    return pairs


def _engagement(before: Profile, after: Profile) -> list[Setting]:
    """The engagement settings of both versions that differ."""
    old, new = before.engagement, after.engagement
    settings = [
        Setting(name, getattr(old, name), getattr(new, name))
        for name in ("half_life_days", "window_days", "full_score_points")
    ]
    for kind in sorted({*old.points, *new.points}):
        settings.append(Setting(f"{kind} points", old.points.get(kind), new.points.get(kind)))
    for kind in sorted({*old.type_caps, *new.type_caps}):
        settings.append(Setting(f"{kind} cap", old.type_caps.get(kind), new.type_caps.get(kind)))
    return [s for s in settings if s.change != "same"]
