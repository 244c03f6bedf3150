"""The CRMs leadrank syncs with, by name: each has a `sync` module with `client_for` and
`run` (pull, push or both, made by `crm_run.crm_runner`); which are configured is the
settings' to say (`Settings.configured_crms`)."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from types import ModuleType
from typing import Any

from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.errors import BadInput
from leadrank.kit.progress import Progress, no_progress

CRMS = {
    "hubspot": "leadrank.connectors.hubspot.sync",
    "salesforce": "leadrank.connectors.salesforce.sync",
}
DIRECTIONS = ("pull", "push", "sync")


def sync_module(vendor: str) -> ModuleType:
    """The vendor's sync module."""
    if vendor not in CRMS:
        raise BadInput(f"unknown CRM {vendor!r}; known: {', '.join(CRMS)}")
    return import_module(CRMS[vendor])


def configured(settings: Settings) -> list[str]:
    """The CRMs whose credentials are set."""
    return settings.configured_crms


def run(
    engine: Engine,
    settings: Settings,
    *,
    vendor: str,
    direction: str,
    since: datetime | None = None,
    progress: Progress = no_progress,
    requested_by: str | None = None,
) -> dict[str, Any]:
    """One run of one CRM ("all": each configured one); what each did."""
    if direction not in DIRECTIONS:
        raise BadInput(f"unknown direction {direction!r}; use one of {', '.join(DIRECTIONS)}")
    vendors = configured(settings) if vendor == "all" else [vendor]
    done: dict[str, Any] = {}
    for name in vendors:
        done[name] = sync_module(name).run(
            engine,
            settings,
            direction=direction,
            since=since,
            progress=progress,
            requested_by=requested_by or f"{name} {direction}",
        )
    return done
