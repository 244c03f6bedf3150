"""`leadrank connectors ...`: one group of thin commands per vendor."""

from __future__ import annotations

import typer

from leadrank.connectors.crm_cli import crm_app
from leadrank.connectors.instantly.cli import instantly_app

connectors_app = typer.Typer(
    help="Vendor APIs: pull leads and activity, push scores to CRMs and campaigns.",
    no_args_is_help=True,
)
connectors_app.add_typer(instantly_app, name="instantly")
connectors_app.add_typer(crm_app("hubspot"), name="hubspot")
connectors_app.add_typer(crm_app("salesforce"), name="salesforce")
