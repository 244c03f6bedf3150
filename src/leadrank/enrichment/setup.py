"""A workspace's waterfall, built from its settings: its providers, their shared gate (rate
windows in Redis when one is configured) and the answer cache."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.enrichment.cache import AnswerCache
from leadrank.enrichment.gate import ProviderGate
from leadrank.enrichment.providers.base import Provider
from leadrank.enrichment.providers.registry import build_providers, rate_limits
from leadrank.enrichment.waterfall import Waterfall
from leadrank.enrichment.windows import DatabaseWindow, RateWindow, RedisWindow


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
