"""The providers a workspace can use: the offline built-in always, each vendor whose key is
set in the environment, all sharing one injected HTTP client."""

from __future__ import annotations

import re

import httpx

from leadrank.config import Settings
from leadrank.enrichment.providers.base import Provider, RateLimit
from leadrank.enrichment.providers.builtin import BuiltinProvider
from leadrank.errors import BadInput

VENDORS = ("apollo", "hunter", "pdl", "clearbit")
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*$")
TIMEOUT_SECONDS = 20.0


def http_client(*, timeout: float = TIMEOUT_SECONDS) -> httpx.Client:
    """The client vendor adapters share: pooled connections, a bounded wait for each call."""
    return httpx.Client(timeout=timeout, headers={"User-Agent": "leadrank"})


def configured_vendors(settings: Settings) -> dict[str, str]:
    """Each vendor whose key is set, with its key."""
    keys = {name: getattr(settings, f"{name}_api_key") for name in VENDORS}
    return {
        name: key.get_secret_value() for name, key in keys.items() if key and key.get_secret_value()
    }


def build_providers(settings: Settings, client: httpx.Client) -> dict[str, Provider]:
    """Every provider that can work here, by name."""
    providers: dict[str, Provider] = {"builtin": BuiltinProvider()}
    urls = settings.enrichment_base_urls
    for name, key in configured_vendors(settings).items():
        providers[name] = _vendor(name, client, key, urls.get(name))
    return providers


def _vendor(name: str, client: httpx.Client, key: str, base_url: str | None) -> Provider:
    # Imported here: a workspace without a vendor's key never loads its adapter.
    if name == "apollo":
        from leadrank.enrichment.providers.apollo import ApolloProvider

        return (
            ApolloProvider(client, api_key=key)
            if base_url is None
            else ApolloProvider(client, api_key=key, base_url=base_url)
        )
    if name == "hunter":
        from leadrank.enrichment.providers.hunter import HunterProvider

        return (
            HunterProvider(client, api_key=key)
            if base_url is None
            else HunterProvider(client, api_key=key, base_url=base_url)
        )
    if name == "pdl":
        from leadrank.enrichment.providers.pdl import PdlProvider

        return (
            PdlProvider(client, api_key=key)
            if base_url is None
            else PdlProvider(client, api_key=key, base_url=base_url)
        )
    from leadrank.enrichment.providers.clearbit import ClearbitProvider

    return (
        ClearbitProvider(client, api_key=key)
        if base_url is None
        else ClearbitProvider(client, api_key=key, base_url=base_url)
    )


def rate_limits(settings: Settings) -> dict[str, RateLimit]:
    """The rates set in LEADRANK_ENRICHMENT_RATE_LIMITS ("50/60": 50 calls a minute)."""
    limits = {}
    for name, text in settings.enrichment_rate_limits.items():
        match = _RATE.match(text)
        if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise BadInput(f"rate limit of {name!r} is {text!r}; write calls/seconds, as 50/60")
        limits[name] = RateLimit(int(match.group(1)), float(match.group(2)))
    return limits


def documented_limits() -> dict[str, RateLimit]:
    """Each vendor's documented rate, as its adapter declares it (its module loads here)."""
    from leadrank.enrichment.providers.apollo import ApolloProvider
    from leadrank.enrichment.providers.clearbit import ClearbitProvider
    from leadrank.enrichment.providers.hunter import HunterProvider
    from leadrank.enrichment.providers.pdl import PdlProvider

    adapters = (ApolloProvider, HunterProvider, PdlProvider, ClearbitProvider)
    return {adapter.name: adapter.DOCUMENTED_LIMIT for adapter in adapters}


def waterfall_order(settings: Settings) -> list[str]:
    """Every provider in the order the waterfall first asks it (groups in their order), then
    any vendor no group asks."""
    order = dict.fromkeys(
        name for names in settings.enrichment_waterfall.values() for name in names
    )
    return [*order, *(name for name in ("builtin", *VENDORS) if name not in order)]
