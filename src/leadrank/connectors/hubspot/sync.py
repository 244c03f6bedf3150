"""One HubSpot run as the CLI, the API and the workers start it: pull, push, or both (a
sync), on a client that keeps HubSpot's limits together with every other worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.connectors.hubspot.client import HubSpotClient
from leadrank.connectors.hubspot.pull import pull
from leadrank.connectors.hubspot.push import push
from leadrank.connectors.shared_pace import SharedPace
from leadrank.errors import BadInput
from leadrank.kit.progress import Progress, no_progress

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def configured(settings: Settings) -> bool:
    """Whether HubSpot's credentials are set."""
    return settings.hubspot_token is not None


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


def run(
    engine: Engine,
    settings: Settings,
    *,
    direction: str,
    since: datetime | None = None,
    progress: Progress = no_progress,
    requested_by: str = "hubspot",
) -> dict[str, Any]:
    """Pull, push or sync; what each did."""
    done: dict[str, Any] = {}
    with httpx.Client(timeout=TIMEOUT) as http:
        client = client_for(http, engine, settings)
        if direction in ("pull", "sync"):
            pulled = pull(
                engine, settings, client, since=since, progress=progress, requested_by=requested_by
            )
            done["pull"] = {**pulled.as_json(), "follow_up_job": pulled.follow_up_job}
        if direction in ("push", "sync"):
            done["push"] = push(engine, client, progress=progress).as_json()
        done["calls"] = client.calls
    return done
