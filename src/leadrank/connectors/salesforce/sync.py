"""One Salesforce run as the CLI, the API and the workers start it: pull, push or both (a
sync), on a client that keeps Salesforce's pace together with every other worker."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.connectors.crm_run import crm_runner
from leadrank.connectors.salesforce.client import SalesforceClient
from leadrank.connectors.salesforce.pull import pull
from leadrank.connectors.salesforce.push import push
from leadrank.connectors.shared_pace import SharedPace
from leadrank.errors import BadInput

SETTINGS = (
    ("LEADRANK_SALESFORCE_URL", "salesforce_url"),
    ("LEADRANK_SALESFORCE_CLIENT_ID", "salesforce_client_id"),
    ("LEADRANK_SALESFORCE_CLIENT_SECRET", "salesforce_client_secret"),
)


def client_for(http: httpx.Client, engine: Engine, settings: Settings) -> SalesforceClient:
    """A client of the configured Salesforce org, paced with every worker."""
    unset = [variable for variable, name in SETTINGS if getattr(settings, name) is None]
    if unset:
        raise BadInput(
            f"set {', '.join(unset)} (Salesforce needs all three: the org's My Domain URL, "
            "and the consumer key and secret of a connected app with the client credentials "
            "flow and a run-as user)"
        )
    assert settings.salesforce_url is not None
    assert settings.salesforce_client_id is not None
    assert settings.salesforce_client_secret is not None
    return SalesforceClient(
        http,
        url=settings.salesforce_url,
        client_id=settings.salesforce_client_id,
        client_secret=settings.salesforce_client_secret,
        api_version=settings.salesforce_api_version,
        calls_per_second=settings.salesforce_calls_per_second,
        pace=SharedPace.of(engine, settings),
    )


run = crm_runner("salesforce", client_for=client_for, pull=pull, push=push)
