"""Writing enrichment answers onto leads and companies without silently overwriting anyone:
each field keeps its provenance, and a value only replaces one from a source ranked below
its own provider in the workspace's precedence (imported data is the source `user`).

What a provider set is recorded in the row's `enrichment` column ({provider, at, confidence,
value}), apart from `provenance`, which imports rewrite: a value a later import changed is
the user's again, since the recorded value is no longer there."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from leadrank.enrichment.providers.base import GROUP_FIELDS, EnrichmentResult, FieldGroup
from leadrank.orm import Company, Lead

USER = "user"
# Canonical fields that have a lead column of the same meaning; a lead's email is its identity
# (imports match on it), so a found one is not written over it.
LEAD_COLUMNS = {
    name: name
    for name in (*GROUP_FIELDS["person"], *GROUP_FIELDS["email"])
    if name in Lead.__table__.columns and name != "email"
}
COMPANY_COLUMNS = {
    "company_name": "name",
    "domain": "domain",
    "industry": "industry",
    "employees": "employees",
    "revenue": "revenue",
    "country_code": "country_code",
    "company_linkedin_url": "linkedin_url",
}
# A lead without a company row keeps what names its company on itself.
LEAD_COMPANY_COLUMNS = {"company_name": "company_name", "domain": "company_domain"}


def merged_fields(answers: list[tuple[str, EnrichmentResult]]) -> dict[str, tuple[Any, str, float]]:
    """Each field once: from the surest answer that has it (the earlier provider on a tie)."""
    ranked = sorted(enumerate(answers), key=lambda item: (-item[1][1].confidence, item[0]))
    fields: dict[str, tuple[Any, str, float]] = {}
    for _, (provider, result) in ranked:
        for name, value in result.fields.items():
            if value is not None and value != "" and name not in fields:
                fields[name] = (value, provider, result.confidence)
    return fields


class Applier:
    """Puts answers on one lead (and its company) under the precedence; counts what it did."""

    def __init__(self, precedence: list[str], now: datetime) -> None:
        self.rank = {source: position for position, source in enumerate(precedence)}
        self.now = now
        self.counts: Counter[str] = Counter()  # filled | replaced | kept | same
        self.changed: set[int] = set()  # leads whose own or company's values changed
        self._changed: dict[
            tuple[str, int], tuple[Lead | Company, dict[str, Any], dict[str, Any]]
        ] = {}

    def apply(
        self,
        lead: Lead,
        company: Company | None,
        group: FieldGroup,
        answers: list[tuple[str, EnrichmentResult]],
    ) -> None:
        """Write one group's merged answer."""
        for name, (value, provider, confidence) in merged_fields(answers).items():
            if group == "company" and company is not None:
                column = COMPANY_COLUMNS.get(name)
                target: Lead | Company = company
            elif group == "company":
                column, target = LEAD_COMPANY_COLUMNS.get(name), lead
                name = name if column else f"company_{name}"
            else:
                column, target = LEAD_COLUMNS.get(name), lead
            if column == "domain":
                column = None  # a company's domain is its identity (imports match on it): noted
            if self._put(target, column, name, value, provider=provider, confidence=confidence):
                self.changed.add(lead.id)

    def _put(
        self,
        target: Lead | Company,
        column: str | None,
        name: str,
        value: Any,
        *,
        provider: str,
        confidence: float,
    ) -> bool:
        """Write one value if it may be written; whether it was."""
        enrichment, attributes = self._documents(target)
        key = column or f"attributes.{name}"
        current = getattr(target, column) if column else attributes.get(name)
        if current == value:
            self.counts["same"] += 1
            return False
        empty = current is None or current == ""
        if not empty and not self._outranks(provider, _source(enrichment.get(key), current)):
            self.counts["kept"] += 1
            return False
        self.counts["filled" if empty else "replaced"] += 1
        if column:
            setattr(target, column, value)
        else:
            attributes[name] = value
        stamp = {
            "provider": provider,
            "at": self.now.isoformat(),
            "confidence": round(confidence, 3),
            "value": value,
        }
        enrichment[key] = stamp if empty else {**stamp, "replaced": current}
        return True

    def _documents(self, target: Lead | Company) -> tuple[dict[str, Any], dict[str, Any]]:
        """The target's enrichment record and attributes, read once, written by `finish`."""
        key = (type(target).__name__, target.id)
        if key not in self._changed:
            self._changed[key] = (
                target,
                dict(target.enrichment or {}),
                dict(target.attributes or {}),
            )
        _, enrichment, attributes = self._changed[key]
        return enrichment, attributes

    def finish(self) -> None:
        """Write the changed enrichment records and attributes onto their rows."""
        for target, enrichment, attributes in self._changed.values():
            target.enrichment = enrichment
            if isinstance(target, Lead):
                # A lead's attributes take JSON text (the bulk paths encode it in Arrow).
                target.attributes = json.dumps(attributes, ensure_ascii=False)  # type: ignore[assignment]
            else:
                target.attributes = attributes
        self._changed.clear()

    def _outranks(self, provider: str, source: str) -> bool:
        """True when `provider` ranks above `source`."""
        last = len(self.rank)
        return self.rank.get(provider, last) < self.rank.get(source, last)


def _source(entry: Any, current: Any) -> str:
    """Who the value there now came from: the provider that set it, while it is still the
    value it set; otherwise the user's import."""
    if isinstance(entry, dict) and entry.get("value") == current:
        return str(entry.get("provider", USER))
    return USER
