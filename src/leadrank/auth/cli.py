"""`leadrank keys create/list/revoke`: thin commands over API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from leadrank.auth.keys import DEFAULT_REQUESTS_PER_MINUTE, ROLES, create_key, list_keys, revoke_key
from leadrank.db.workspace_db import workspace_session
from leadrank.kit.console import console

keys_app = typer.Typer(
    help="API keys for `leadrank serve`: roles and rate limits.", no_args_is_help=True
)


@keys_app.command("create")
def create_command(
    role: Annotated[str, typer.Option("--role", "-r", help=f"One of {', '.join(ROLES)}")],
    name: Annotated[str, typer.Option("--name", "-n", help="What the key is for")] = "",
    rate: Annotated[
        int, typer.Option("--rate-limit", help="Requests a minute (all workers together)")
    ] = DEFAULT_REQUESTS_PER_MINUTE,
) -> None:
    """Make a key; it is printed once, alone on the last line, and only its hash is kept."""
    with workspace_session() as session:
        made = create_key(session, role=role, name=name, requests_per_minute=rate)
        prefix, role_name = made.record.prefix, made.record.role
    console.print(f"API key {prefix} ({role_name}, {rate:,} requests a minute); keep it secret:")
    print(made.key)


@keys_app.command("list")
def list_command() -> None:
    """Every key with its role, limit and state (secrets are never stored)."""
    with workspace_session() as session:
        keys = list_keys(session)
    table = Table()
    for column in ("prefix", "name", "role", "per minute", "created", "revoked"):
        table.add_column(column)
    for key in keys:
        table.add_row(
            key.prefix,
            key.name,
            key.role,
            f"{key.requests_per_minute:,}",
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    console.print(table if keys else "no API keys yet: `leadrank keys create --role scorer`")


@keys_app.command("revoke")
def revoke_command(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (keys list)")],
) -> None:
    """Stop a key from working (running servers notice within 30 seconds)."""
    with workspace_session() as session:
        key = revoke_key(session, prefix=prefix)
    console.print(f"API key {key.prefix} ({key.name}) revoked")
