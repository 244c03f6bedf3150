"""One CRM run as the CLI, the API and the workers start it: pull, push or both (a sync), on
one client made for the run, so that its calls keep the vendor's limits together with every
other worker. Each CRM's `sync.run` is made by `crm_runner` from its own client factory, pull
and push."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import httpx
from sqlalchemy import Engine

from leadrank.config import Settings
from leadrank.kit.progress import Progress, no_progress

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class CrmClient(Protocol):
    """What a run reads from any CRM's client: the requests it sent, retries included."""

    calls: int


class PullDone(Protocol):
    """What a CRM's pull reports."""

    @property
    def follow_up_job(self) -> int | None: ...

    def as_json(self) -> dict[str, Any]: ...


class PushDone(Protocol):
    """What a CRM's push reports."""

    def as_json(self) -> dict[str, Any]: ...


class CrmRun(Protocol):
    """A CRM's `sync.run`, as `connectors.crm.run` calls it."""

    def __call__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        direction: str,
        since: datetime | None = None,
        progress: Progress = no_progress,
        requested_by: str = ...,
    ) -> dict[str, Any]: ...


def crm_runner(
    vendor: str,
    *,
    client_for: Callable[[httpx.Client, Engine, Settings], CrmClient],
    pull: Callable[..., PullDone],
    push: Callable[..., PushDone],
) -> CrmRun:
    """The `run` of one CRM, from its own client factory, `pull(engine, settings, client,
    since=, progress=, requested_by=)` and `push(engine, client, progress=)`; a run is
    requested by `vendor` unless its caller names who asked."""

    def run(
        engine: Engine,
        settings: Settings,
        *,
        direction: str,
        since: datetime | None = None,
        progress: Progress = no_progress,
        requested_by: str = vendor,
    ) -> dict[str, Any]:
        """Pull ("pull" or "sync"), then push ("push" or "sync"); what each did, and the
        calls the client made in all."""
        done: dict[str, Any] = {}
        with httpx.Client(timeout=TIMEOUT) as http:
            client = client_for(http, engine, settings)
            if direction in ("pull", "sync"):
                pulled = pull(
                    engine,
                    settings,
                    client,
                    since=since,
                    progress=progress,
                    requested_by=requested_by,
                )
                done["pull"] = {**pulled.as_json(), "follow_up_job": pulled.follow_up_job}
            if direction in ("push", "sync"):
                done["push"] = push(engine, client, progress=progress).as_json()
            done["calls"] = client.calls
        return done

    return run
