"""A workspace's waterfall, built from its settings: its providers, their shared gate (rate
windows in Redis when one is configured) and the answer cache; and a run of it, as the CLI,
the job, the demo and the benchmark start one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import httpx
from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.enrichment.cache import AnswerCache
from leadrank.enrichment.gate import ProviderGate
from leadrank.enrichment.providers.base import FieldGroup, Provider
from leadrank.enrichment.providers.registry import (
    TIMEOUT_SECONDS,
    build_providers,
    http_client,
    rate_limits,
)
from leadrank.enrichment.service import EnrichReport, enrich_leads
from leadrank.enrichment.waterfall import Waterfall
from leadrank.enrichment.windows import DatabaseWindow, RateWindow, RedisWindow
from leadrank.ingest import follow_up
from leadrank.orm import Job

# When a run queues a rescore of what changed (with LEADRANK_AUTO_SCORE on): when it changed a
# lead's values, always (new leads await their first score), or never (the caller scores).
Rescore = Literal["changed", "always", "never"]


def build_gate(engine: Engine, settings: Settings) -> ProviderGate:
    """The limits every worker of this workspace shares."""
    window: RateWindow = (
        RedisWindow.from_url(settings.redis_url) if settings.redis_url else DatabaseWindow(engine)
    )
    budgets = settings.enrichment_daily_credits
    default = settings.enrichment_default_daily_credits
    return ProviderGate(
        engine,
        budget_of=lambda name: budgets.get(name, default),
        rate_limits=rate_limits(settings),
        window=window,
    )


def build_waterfall(
    engine: Engine,
    settings: Settings,
    client: httpx.Client,
    *,
    providers: dict[str, Provider] | None = None,
) -> Waterfall:
    """The waterfall of this workspace; `providers` replaces the configured ones (tests, trials)."""
    return Waterfall(
        providers if providers is not None else build_providers(settings, client),
        settings.enrichment_waterfall,
        gate=build_gate(engine, settings),
        cache=AnswerCache(engine, ttl_days=settings.enrichment_ttl_days),
        confidence=settings.enrichment_confidence,
    )


def enrich_with_settings(
    engine: Engine,
    settings: Settings,
    *,
    lead_ids: Sequence[int],
    groups: Sequence[FieldGroup],
    providers: dict[str, Provider] | None = None,
    threads: int = 4,
    timeout: float = TIMEOUT_SECONDS,
    on_start: Callable[[Waterfall], None] = lambda waterfall: None,
    progress: Callable[[int, int], None] = lambda done, total: None,
    rescore: Rescore = "changed",
    requested_by: str | None = None,
) -> EnrichReport:
    """Enrich these leads through the workspace's waterfall and precedence, then queue the
    rescore of the leads it changed (and any other marked) as `rescore` says (its job in
    `report.rescore_job`); `on_start` sees the waterfall before the first lead."""
    with http_client(timeout=timeout) as client:
        waterfall = build_waterfall(engine, settings, client, providers=providers)
        on_start(waterfall)
        report = enrich_leads(
            engine,
            waterfall,
            lead_ids=lead_ids,
            groups=groups,
            precedence=settings.enrichment_precedence,
            threads=threads,
            progress=progress,
        )
    wanted = rescore == "always" or (rescore == "changed" and bool(report.changed))
    if wanted and settings.auto_score:
        report.rescore_job = _queue_rescore(engine, report.changed, requested_by)
    return report


def _queue_rescore(engine: Engine, changed: Sequence[int], requested_by: str | None) -> int:
    """The rescore of the changed leads, queued (or the one already waiting); its job id."""
    with session_scope(engine, writes=True) as session:
        job: Job = follow_up.rescore_changed(
            session, lead_ids=changed, requested_by=requested_by or "enrichment"
        )
        return job.id
