"""The `leadrank` command line: one Typer app assembling each domain's thin commands."""

from __future__ import annotations

import sqlite3
import sys

import psycopg
import typer
from sqlalchemy.exc import DBAPIError

from leadrank.auth.cli import keys_app
from leadrank.cli.demo import demo
from leadrank.cli.serve import serve
from leadrank.config import get_settings
from leadrank.connectors.cli import connectors_app
from leadrank.db.migrate import current_revision
from leadrank.db.workspace_db import open_workspace
from leadrank.enrichment.cli import enrich_app
from leadrank.errors import AppError
from leadrank.ingest.cli import ingest, quarantine
from leadrank.jobs.cli import jobs_app, worker
from leadrank.kit.console import console, err_console
from leadrank.leads.cli import clean, leads_app, override_command, stats
from leadrank.matching.cli import dedupe
from leadrank.sample.cli import sample
from leadrank.scoring.cli import accounts_app, icp_app, score
from leadrank.training.cli import evaluate, models_app, train

app = typer.Typer(
    name="leadrank",
    help="Self-hosted B2B lead scoring and enrichment: clean, de-duplicate, enrich and score leads.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command()
def init() -> None:
    """Create or upgrade the workspace database (commands that need it do this themselves)."""
    settings = get_settings()
    with open_workspace(settings) as engine:
        console.print(
            f"workspace ready at {engine.url.render_as_string(hide_password=True)} "
            f"(schema {current_revision(engine)})"
        )


app.command()(ingest)
app.command()(clean)
app.command()(dedupe)
app.command()(quarantine)
leads_app.command("override")(override_command)
app.add_typer(leads_app, name="leads")
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(icp_app, name="icp")
app.command()(train)
app.command()(score)
app.command()(evaluate)
app.add_typer(models_app, name="models")
app.command()(stats)
app.command()(sample)
app.command()(demo)
app.command()(serve)
app.add_typer(jobs_app, name="jobs")
app.add_typer(enrich_app, name="enrich")
app.add_typer(connectors_app, name="connectors")
app.command()(worker)


def main() -> None:
    """Run the CLI: expected failures print one line on stderr and exit non-zero."""
    try:
        app()  # exits by itself; usage errors are rendered by Typer with exit code 2
    except AppError as exc:
        err_console.print(f"error: {exc.message}", markup=False)
        sys.exit(1)
    except (DBAPIError, sqlite3.Error, psycopg.Error) as exc:
        # The transaction was rolled back: say what the database refused, in one line.
        cause = exc.orig if isinstance(exc, DBAPIError) else exc
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        err_console.print(
            f"error: database: {first} (its transaction was rolled back)", markup=False
        )
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted: the unfinished file was rolled back")
        sys.exit(130)
