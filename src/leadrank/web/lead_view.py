"""What the lead page shows, gathered from the leads and scoring services: the lead's latest
served score with its reasons parsed into points, its history, every field with where its
value came from, its events, the merges into it and the pairs that may be duplicates of it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy.orm import Session

from leadrank.grades import GradeScale
from leadrank.leads import repository, reviews, service
from leadrank.leads.fields import EMAIL_FLAGS, LEAD_COLUMNS
from leadrank.orm import Company, Event, Import, Lead, LeadMerge
from leadrank.orm.scoring import AccountScore, GradeOverride, LeadScore, ScoreRun
from leadrank.scoring.reasons import reason_points
from leadrank.web.lead_charts import Reason, ScorePoint, history_chart, reasons_chart
from leadrank.web.templating import number, when

HISTORY_SHOWN = 200  # scores on the chart of the lead's score over time
EVENTS_SHOWN = 100
LABELS = {
    "phone_e164": "Phone",
    "linkedin_url": "LinkedIn",
    "country_code": "Country",
    "source_created_at": "Created in source",
    "lead_status": "Status",
    "company_name": "Company",
    "company_domain": "Company domain",
}
# The fields of a lead and of its company a person reads, here and on the duplicates page;
# the email's facts show beside it.
LEAD_FIELDS = [c for c in LEAD_COLUMNS.values() if c not in EMAIL_FLAGS[1:]]
COMPANY_FIELDS = ["name", "domain", "industry", "employees", "revenue", "country_code"]
COMPANY_FIELDS += ["linkedin_url"]


@dataclass(frozen=True)
class Origin:
    """Where a value came from: a row of an imported file, a record sent by the API or a
    connector, or an enrichment provider."""

    kind: str  # file | api | enriched
    source: str  # the import's source, or the provider
    at: datetime | None
    file_name: str | None = None
    row: int | None = None
    import_id: int | None = None
    confidence: float | None = None


FILE_COLUMN = Origin("column", "", None)  # a column of a file that maps to no field


@dataclass(frozen=True)
class Field:
    """One field of the lead (or its company) with its value and where that came from."""

    name: str
    label: str
    value: Any
    origin: Origin | None
    rows: int = 1  # fields below with the same origin share its cell; 0: it shares one above

    @property
    def shown(self) -> str:
        """The value as a person reads it."""
        value = self.value
        if isinstance(value, datetime):
            return when(value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int | float):
            return number(value)
        return str(value)


@dataclass(frozen=True)
class Candidate:
    """Another lead that may be this one, waiting for a person's decision."""

    lead: Lead
    match_score: float
    reasons: list[str]


@dataclass(frozen=True)
class Merged:
    """A record merged into the lead, as it was when merged."""

    merge: LeadMerge
    name: str | None
    email: str | None
    sources: list[str]
    undoable: bool  # the newest merge: merges are undone newest first


@dataclass(frozen=True)
class LeadPage:
    """Everything the lead page shows."""

    lead: Lead
    company: Company | None
    account: AccountScore | None
    score: LeadScore | None
    run: ScoreRun | None
    override: GradeOverride | None
    overrides: list[GradeOverride]
    scores_total: int
    reasons: list[Reason]
    fit_reasons: list[Reason]
    engagement_reasons: list[Reason]
    not_known: list[str]
    reasons_chart: str | None
    history_chart: str | None
    fields: list[Field]
    company_fields: list[Field]
    email_facts: list[str]
    events: list[Event]
    events_total: int
    merges: list[Merged]
    candidates: list[Candidate]

    @property
    def grade(self) -> str | None:
        """The grade served: a person's when there is one."""
        if self.override is not None:
            return self.override.grade
        return self.score.grade if self.score else None


def lead_page(session: Session, *, lead_id: int, scale: GradeScale) -> LeadPage:
    """The lead page's content for one lead (NotFound when there is no such lead)."""
    detail = service.get_lead(session, ref=str(lead_id))
    lead, company = detail.lead, detail.company
    history, total = repository.scores_of_lead(session, lead.id, limit=HISTORY_SHOWN)
    score, run = history[0] if history else (None, None)
    stored = score.reasons if score else {}
    main = [_reason(text) for text in [*stored.get("positive", []), *stored.get("negative", [])]]
    fit = [_reason(text) for text in stored.get("fit", [])]
    engagement = [_reason(text) for text in stored.get("engagement", [])]
    points = [ScorePoint(r.as_of, s.score, s.grade) for s, r in reversed(history)]
    merges = repository.merges_into(session, lead.id)
    return LeadPage(
        lead=lead,
        company=company,
        account=repository.account_of_company(session, company.id) if company else None,
        score=score,
        run=run,
        override=repository.current_overrides(session, [lead.id]).get(lead.id),
        overrides=repository.overrides_of_lead(session, lead.id),
        scores_total=total,
        reasons=main,
        fit_reasons=fit,
        engagement_reasons=engagement,
        not_known=[str(t) for t in stored.get("not_known", [])],
        reasons_chart=reasons_chart(main),
        history_chart=history_chart(points, scale),
        fields=_shared_origins(fields_of(lead, LEAD_FIELDS, detail.imports) + _attributes(lead)),
        company_fields=fields_of(company, COMPANY_FIELDS, detail.imports) if company else [],
        email_facts=_email_facts(lead),
        events=list(reversed(detail.events))[:EVENTS_SHOWN],
        events_total=len(detail.events),
        merges=[_merged(m, undoable=i == 0) for i, m in enumerate(merges)],
        candidates=[
            Candidate(
                pair.second if pair.first.id == lead.id else pair.first,
                pair.review.match_score,
                list(pair.review.reasons or []),
            )
            for pair in reviews.pending_pairs_of(session, lead_id=lead.id)
        ],
    )


def _reason(text: str) -> Reason:
    words, points = reason_points(str(text))
    return Reason(words, points)


def fields_of(row: Lead | Company, names: list[str], imports: dict[int, Import]) -> list[Field]:
    """The row's filled fields, each with where its value came from."""
    enriched = service.still_enriched(row)
    provenance = row.provenance or {}
    found = []
    for name in names:
        value = getattr(row, name)
        if value is None or value == "":
            continue
        origin = _enriched(enriched.get(name)) or _imported(provenance.get(name), imports)
        found.append(Field(name, label(name), value, origin))
    return found


def label(name: str) -> str:
    """A field's name as a person reads it: "Job title", "Phone", "LinkedIn"."""
    return LABELS.get(name) or name.replace("_", " ").capitalize()


def _shared_origins(fields: list[Field]) -> list[Field]:
    """Fields in a row that came from one place share one cell saying where."""
    shared: list[Field] = []
    first = 0
    for index, field in enumerate(fields):
        if index and field.origin is not None and field.origin == fields[first].origin:
            shared[first] = replace(shared[first], rows=shared[first].rows + 1)
            shared.append(replace(field, rows=0))
        else:
            first = index
            shared.append(field)
    return shared


def _attributes(lead: Lead) -> list[Field]:
    """The lead's values with no field of their own: columns of its files, or what an
    enrichment provider found."""
    enrichment = lead.enrichment or {}
    found = []
    for name, value in sorted((lead.attributes or {}).items()):
        entry = enrichment.get(f"attributes.{name}")
        held = isinstance(entry, dict) and entry.get("value") == value
        origin = (_enriched(entry) if held else None) or FILE_COLUMN
        found.append(Field(f"attributes.{name}", name, value, origin))
    return found


def _enriched(entry: dict[str, Any] | None) -> Origin | None:
    if not entry or not entry.get("provider"):
        return None
    try:
        at = datetime.fromisoformat(str(entry.get("at")))
    except ValueError:
        at = None
    confidence = entry.get("confidence")
    return Origin(
        "enriched",
        str(entry["provider"]),
        at,
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
    )


def _imported(place: Any, imports: dict[int, Import]) -> Origin | None:
    """The import row [import id, row number] a value came from."""
    if not isinstance(place, list) or len(place) != 2:
        return None
    imported = imports.get(place[0])
    if imported is None:
        return Origin("file", "an import", None, import_id=place[0], row=place[1])
    kind = "api" if imported.file_format == "api" else "file"
    return Origin(
        kind,
        imported.source,
        imported.started_at,
        file_name=PurePath(imported.file_name).name if imported.file_name else None,
        row=place[1],
        import_id=imported.id,
    )


def _email_facts(lead: Lead) -> list[str]:
    if not lead.email:
        return []
    facts = [
        ("not deliverable", lead.email_valid is False),
        ("free mail", bool(lead.email_free_mail)),
        ("disposable", bool(lead.email_disposable)),
        ("role address", bool(lead.email_role)),
    ]
    return [name for name, holds in facts if holds]


def _merged(merge: LeadMerge, *, undoable: bool) -> Merged:
    row = (merge.snapshot or {}).get("merged") or {}
    return Merged(
        merge,
        row.get("full_name") or None,
        row.get("email") or None,
        [str(s) for s in row.get("sources") or []],
        undoable,
    )
