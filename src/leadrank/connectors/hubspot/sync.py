"""One HubSpot run as the CLI, the API and the workers start it: pull, push, or both (a
sync), on a client that keeps HubSpot's limits together with every other worker."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.connectors.crm_run import crm_runner
from leadrank.connectors.hubspot.client import HubSpotClient
from leadrank.connectors.hubspot.pull import pull
from leadrank.connectors.hubspot.push import push
from leadrank.connectors.shared_pace import SharedPace
from leadrank.errors import BadInput


def client_for(http: httpx.Client, engine: Engine, settings: Settings) -> HubSpotClient:
    """A client of the configured HubSpot account, paced with every worker."""
    if settings.hubspot_token is None:
        raise BadInput("set LEADRANK_HUBSPOT_TOKEN to a HubSpot private-app access token")
    return HubSpotClient(
        http,
        token=settings.hubspot_token,
        base_url=settings.hubspot_url,
        pace=SharedPace.of(engine, settings),
        calls_per_10s=settings.hubspot_calls_per_10s,
        search_per_second=settings.hubspot_search_per_second,
    )


run = crm_runner("hubspot", client_for=client_for, pull=pull, push=push)
