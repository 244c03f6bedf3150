"""`leadrank connectors ...`: one group of thin commands per vendor."""

from __future__ import annotations

import typer

from leadrank.connectors.instantly.cli import instantly_app

connectors_app = typer.Typer(help="Pull leads and activity from vendor APIs.", no_args_is_help=True)
connectors_app.add_typer(instantly_app, name="instantly")
