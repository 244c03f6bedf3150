"""Enriching stored leads: pick them, ask the waterfall for each group, write the answers and
every attempt.

Unlike most services this one is given the engine, not a session: vendor calls can take
seconds, and no transaction may stay open across them (on SQLite it would hold the write
lock for every worker). Leads are read in one short transaction per chunk, asked about with
none open, and written in another, so a chunk's answers and attempts commit together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from leadrank.db.engine import session_scope
from leadrank.enrichment.apply import Applier
from leadrank.enrichment.providers.base import GROUPS, EnrichmentQuery, FieldGroup
from leadrank.enrichment.waterfall import UNFINISHED, Attempt, GroupAnswer, Waterfall
from leadrank.errors import BadInput
from leadrank.kit.logs import mask_text
from leadrank.leads.quality import refresh_quality
from leadrank.orm import Company, EnrichmentAttempt, Lead

CHUNK = 50  # leads asked about between two writes
WRITE_TRIES = 3
RETRY_STATES = ("40P01", "40001")  # deadlock detected, serialization failure
MAX_THREADS = 12  # each holds a pooled connection for a moment; the pool has 15
log = structlog.get_logger("leadrank.enrichment")


@dataclass
class EnrichReport:
    """What a run did."""

    leads: int = 0
    fields: Counter[str] = field(default_factory=Counter)  # filled | replaced | kept | same
    attempts: Counter[str] = field(default_factory=Counter)  # by status
    cost: dict[str, float] = field(default_factory=dict)  # credits by provider
    unfinished: list[int] = field(default_factory=list)  # leads worth asking again later
    changed: list[int] = field(default_factory=list)  # leads whose values enrichment changed
    rescore_job: int | None = None  # the rescore this run queued


def parse_groups(names: Sequence[str] | None) -> list[FieldGroup]:
    """The field groups asked for (all when none), checked."""
    if not names:
        return list(GROUPS)
    unknown = sorted(set(names) - set(GROUPS))
    if unknown:
        raise BadInput(f"unknown field group {', '.join(unknown)}; known: {', '.join(GROUPS)}")
    return [g for g in GROUPS if g in names]


def leads_to_enrich(
    engine: Engine,
    *,
    lead_ids: Sequence[int] = (),
    refresh_after: timedelta | None = None,
    limit: int | None = None,
) -> list[int]:
    """The ids asked for; else every lead never enriched or whose last run left a provider
    unanswered (rate limited, over budget, down), and with `refresh_after` also those last
    enriched longer ago than that."""
    with session_scope(engine) as session:
        if lead_ids:
            found = set(session.scalars(select(Lead.id).where(Lead.id.in_(list(lead_ids)))))
            missing = [i for i in lead_ids if i not in found]
            if missing:
                raise BadInput(f"no lead {', '.join(map(str, missing[:10]))}")
            return list(dict.fromkeys(lead_ids))
        latest, attempt = aliased(EnrichmentAttempt), aliased(EnrichmentAttempt)
        last = (
            select(func.max(latest.created_at))
            .where(latest.entity == "lead", latest.entity_id == Lead.id)
            .correlate(Lead)
            .scalar_subquery()
        )
        # A run writes a lead's attempts with one time: its last run is those at the latest.
        unfinished = (
            select(attempt.id)
            .where(
                attempt.entity == "lead",
                attempt.entity_id == Lead.id,
                attempt.created_at == last,
                attempt.status.in_(UNFINISHED),
            )
            .correlate(Lead)
            .exists()
        )
        due = last.is_(None) | unfinished
        if refresh_after is not None:
            due = due | (last < datetime.now(UTC) - refresh_after)
        statement = select(Lead.id).where(due).order_by(Lead.id)
        if limit is not None:
            statement = statement.limit(limit)
        return list(session.scalars(statement))


def query_of(lead: Lead, company: Company | None) -> EnrichmentQuery:
    """What a lead and its company tell providers."""
    return EnrichmentQuery(
        email=lead.email,
        domain=(company.domain if company else None) or lead.company_domain,
        company_name=(company.name if company else None) or lead.company_name,
        first_name=lead.first_name,
        last_name=lead.last_name,
        full_name=lead.full_name,
        linkedin_url=lead.linkedin_url,
        phone=lead.phone_e164,
        job_title=lead.job_title,
        country_code=lead.country_code,
        employees=company.employees if company else None,
    )


def enrich_leads(
    engine: Engine,
    waterfall: Waterfall,
    *,
    lead_ids: Sequence[int],
    groups: Sequence[FieldGroup],
    precedence: list[str],
    threads: int = 4,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> EnrichReport:
    """Enrich these leads group by group; answers and attempts commit per chunk."""
    report = EnrichReport()
    workers = min(max(1, threads), MAX_THREADS)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="enrich") as pool:
        for start in range(0, len(lead_ids), CHUNK):
            chunk = lead_ids[start : start + CHUNK]
            queries = _queries(engine, chunk)
            found = list(pool.map(lambda item: _ask(waterfall, item[1], groups), queries))
            _write(engine, [lead for lead, _ in queries], found, precedence, report)
            report.leads += len(queries)
            progress(report.leads, len(lead_ids))
    return report


def _queries(engine: Engine, lead_ids: Sequence[int]) -> list[tuple[int, EnrichmentQuery]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(Lead, Company)
            .outerjoin(Company, Company.id == Lead.company_id)
            .where(Lead.id.in_(list(lead_ids)))
            .order_by(Lead.id)
        ).all()
        return [(lead.id, query_of(lead, company)) for lead, company in rows]


def _ask(
    waterfall: Waterfall, query: EnrichmentQuery, groups: Sequence[FieldGroup]
) -> list[GroupAnswer]:
    answers = []
    for group in groups:
        try:
            answers.append(waterfall.run(query, group))
        except Exception as exc:  # the database behind the gate or cache, not a provider
            log.exception("enrichment failed", group=group)
            failed = Attempt(
                "workspace", group, "error", error=mask_text(f"{type(exc).__name__}: {exc}")
            )
            answers.append(GroupAnswer(group, attempts=[failed]))
    return answers


def _write(
    engine: Engine,
    lead_ids: list[int],
    found: list[list[GroupAnswer]],
    precedence: list[str],
    report: EnrichReport,
) -> None:
    """Write a chunk's answers and attempts in one transaction; one that lost a deadlock to an
    import or another worker (PostgreSQL picks one to abort) is written again."""
    for attempt in range(1, WRITE_TRIES + 1):
        try:
            chunk = _write_once(engine, lead_ids, found, precedence)
            break
        except DBAPIError as exc:
            if attempt == WRITE_TRIES or getattr(exc.orig, "sqlstate", None) not in RETRY_STATES:
                raise
            log.warning("enrichment write retried", error=type(exc.orig).__name__)
    report.fields.update(chunk.fields)
    report.attempts.update(chunk.attempts)
    for provider, cost in chunk.cost.items():
        report.cost[provider] = report.cost.get(provider, 0.0) + cost
    report.unfinished.extend(chunk.unfinished)
    report.changed.extend(chunk.changed)


def _write_once(
    engine: Engine, lead_ids: list[int], found: list[list[GroupAnswer]], precedence: list[str]
) -> EnrichReport:
    now = datetime.now(UTC)
    applier, chunk = Applier(precedence, now), EnrichReport()
    with session_scope(engine, writes=True) as session:
        # Locked (PostgreSQL) while their JSON is rewritten, so an import or another run
        # changing the same rows waits rather than losing its values or these; leads, then
        # companies, each in id order, so two workers never wait on each other in a circle.
        leads = {
            lead.id: lead
            for lead in session.scalars(
                select(Lead).where(Lead.id.in_(lead_ids)).order_by(Lead.id).with_for_update()
            )
        }
        owners = sorted({lead.company_id for lead in leads.values() if lead.company_id})
        companies = {
            company.id: company
            for company in session.scalars(
                select(Company).where(Company.id.in_(owners)).order_by(Company.id).with_for_update()
            )
        }
        for lead_id, answers in zip(lead_ids, found, strict=True):
            lead = leads.get(lead_id)
            if lead is None:  # merged into another lead since it was read: its id is gone
                continue
            company = companies.get(lead.company_id) if lead.company_id else None
            for answer in answers:
                if answer.answers:
                    applier.apply(lead, company, answer.group, answer.answers)
                session.add_all(_attempt_row(lead_id, attempt, now) for attempt in answer.attempts)
                for attempt in answer.attempts:
                    chunk.attempts[attempt.status] += 1
                    if attempt.cost:
                        spent = chunk.cost.get(attempt.provider, 0.0) + attempt.cost
                        chunk.cost[attempt.provider] = spent
            if any(answer.unfinished for answer in answers):
                chunk.unfinished.append(lead_id)
        applier.finish()
        # Their quality and issues follow what they now hold ("title_missing" goes once a
        # title is found), in the transaction that wrote the values.
        chunk.changed = sorted(applier.changed)
        refresh_quality(session, lead_ids=chunk.changed)
    chunk.fields.update(applier.counts)
    return chunk


def _attempt_row(lead_id: int, attempt: Attempt, now: datetime) -> EnrichmentAttempt:
    return EnrichmentAttempt(
        entity="lead",
        entity_id=lead_id,
        provider=attempt.provider,
        field_group=attempt.group,
        status=attempt.status,
        tries=attempt.tries,
        latency_ms=attempt.latency_ms,
        cost=attempt.cost,
        confidence=attempt.confidence,
        fields=attempt.fields,
        error=attempt.error,
        created_at=now,
    )
