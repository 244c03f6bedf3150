"""`leadrank serve`: the REST API under uvicorn, on one or several worker processes."""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated

import typer

from leadrank.auth.keys import any_keys
from leadrank.config import get_settings
from leadrank.db.engine import session_scope
from leadrank.db.workspace_db import open_workspace
from leadrank.errors import BadInput
from leadrank.kit.console import err_console


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, help="Worker processes (one per core)")
    ] = 1,
    no_auth: Annotated[
        bool,
        typer.Option("--no-auth", help="Serve without API keys (this machine only)"),
    ] = False,
) -> None:
    """Serve the REST API (OpenAPI at /docs): scoring, leads, imports, models, jobs, health and
    metrics.

    Queued jobs run here too unless LEADRANK_RUN_JOBS=false. API keys are required once one
    exists; until then it listens on this machine only."""
    from leadrank.api.workers import run as run_workers  # the web stack loads only here

    settings = get_settings()
    with open_workspace(settings) as engine, session_scope(engine) as session:
        keys = any_keys(session)  # the schema is brought to head once, before any worker starts
    local = _loopback(host)
    if no_auth and not local:
        raise BadInput(f"--no-auth: the API without keys only listens on this machine, not {host}")
    if not keys and not no_auth and not local:
        raise BadInput(
            f"--host {host}: create an API key first (`leadrank keys create --role scorer`); "
            "without one the API only listens on this machine"
        )
    auth = keys and not no_auth
    # Workers are separate processes: they read these from the environment.
    os.environ["LEADRANK_API_AUTH"] = "true" if auth else "false"
    os.environ["LEADRANK_API_WORKERS"] = str(workers)
    get_settings.cache_clear()  # a single worker runs in this process
    err_console.print(
        f"leadrank API on http://{host}:{port} ({workers} worker{'s' * (workers > 1)}); "
        f"OpenAPI at http://{host}:{port}/docs; "
        + ("API keys required" if auth else "no authentication: this machine only")
        + ("; background jobs run here" if settings.run_jobs else ""),
        markup=False,
    )
    run_workers(app="leadrank.app:create_app", host=host, port=port, workers=workers)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
