"""`leadrank keys create/list/revoke` and `leadrank users create/list/disable`: thin commands
over API keys and the people who sign in."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from leadrank.auth.keys import DEFAULT_REQUESTS_PER_MINUTE, ROLES, create_key, list_keys, revoke_key
from leadrank.auth.users import USER_ROLES, create_user, disable_user, list_users
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


users_app = typer.Typer(
    help="People who sign in to the web app: roles admin, writer, reader.", no_args_is_help=True
)


@users_app.command("create")
def users_create_command(
    email: Annotated[str, typer.Argument(help="Their email: what they sign in with")],
    role: Annotated[str, typer.Option("--role", "-r", help=f"One of {', '.join(USER_ROLES)}")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from the first line of stdin, unprompted"
        ),
    ] = False,
) -> None:
    """Add a user; the password is asked for twice (or read from stdin), and only its Argon2
    hash is kept."""
    if password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with workspace_session() as session:
        user = create_user(
            session, email=email, password=password, role=role, now=datetime.now(UTC)
        )
        address, role_name = user.email, user.role
    console.print(f"user {address} ({role_name}) can sign in", markup=False)


@users_app.command("list")
def users_list_command() -> None:
    """Every user with their role and state (passwords are never stored)."""
    with workspace_session(writes=False) as session:
        users = list_users(session)
    table = Table()
    for column in ("email", "role", "created", "last sign-in", "disabled"):
        table.add_column(column)
    for user in users:
        table.add_row(
            Text(user.email),
            user.role,
            f"{user.created_at:%Y-%m-%d %H:%M}",
            f"{user.last_sign_in_at:%Y-%m-%d %H:%M}" if user.last_sign_in_at else "",
            f"{user.disabled_at:%Y-%m-%d %H:%M}" if user.disabled_at else "",
        )
    console.print(table if users else "no users yet: `leadrank users create EMAIL --role admin`")


@users_app.command("disable")
def users_disable_command(
    email: Annotated[str, typer.Argument(help="The user's email")],
) -> None:
    """Stop a user from signing in; their record stays."""
    with workspace_session() as session:
        user = disable_user(session, email=email, now=datetime.now(UTC))
        address = user.email
    console.print(f"user {address} can no longer sign in", markup=False)
