"""`leadrank serve`: the REST API under uvicorn, on one or several worker processes."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from leadrank.cli.console import err_console
from leadrank.cli.workspace import open_workspace
from leadrank.config import get_settings
from leadrank.errors import BadInput


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, help="Worker processes (one per core)")
    ] = 1,
) -> None:
    """Serve the REST API (OpenAPI at /docs): stateless scoring, health and metrics."""
    import uvicorn

    if not _loopback(host):
        # API keys come with roles and rate limits; until a deployment can hold them, the API
        # is not offered beyond this machine.
        raise BadInput(
            f"--host {host}: without API keys the API only listens on this machine "
            "(127.0.0.1, ::1 or localhost)"
        )
    settings = get_settings()
    with open_workspace(settings):
        pass  # the schema is brought to head once, before any worker starts
    err_console.print(
        f"leadrank API on http://{host}:{port} ({workers} worker{'s' * (workers > 1)}); "
        f"OpenAPI at http://{host}:{port}/docs; no authentication: this machine only",
        markup=False,
    )
    uvicorn.run(
        "leadrank.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # leadrank logs each request itself, with its id
        log_level="warning",
        proxy_headers=False,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
