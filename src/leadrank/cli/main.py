"""The `leadrank` command line: one Typer app assembling each domain's thin commands.

The domains' commands are listed here with their one-line help and imported only when one of
them runs (`cli/lazy.py`); a test keeps these lines equal to the commands' own help.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Annotated

import typer

from leadrank import __version__
from leadrank.cli.lazy import Lazy, LazyGroup
from leadrank.errors import AppError

# name -> where the command lives and the line `leadrank --help` shows, in the order shown.
COMMANDS: dict[str, Lazy] = {
    "ingest": Lazy(
        "leadrank.ingest.cli:ingest",
        "Load lead or event files (CSV, TSV, JSON, JSONL, Parquet, Excel) into the workspace.",
    ),
    "clean": Lazy(
        "leadrank.leads.cli:clean",
        "Clean a lead list file: normalised columns, quality_score and issues per row (no "
        "workspace).",
    ),
    "dedupe": Lazy(
        "leadrank.matching.cli:dedupe",
        "Find the rows that describe the same person or company: adds cluster_id and "
        "match_score (no workspace).",
    ),
    "quarantine": Lazy(
        "leadrank.ingest.cli:quarantine",
        "List the records that could not become leads or events, with their reasons.",
    ),
    "leads": Lazy("leadrank.leads.cli:leads_app", "Browse the leads in the workspace."),
    "accounts": Lazy(
        "leadrank.scoring.cli:accounts_app",
        "Companies scored from their leads (after `leadrank score`).",
    ),
    "keys": Lazy(
        "leadrank.auth.cli:keys_app", "API keys for `leadrank serve`: roles and rate limits."
    ),
    "users": Lazy(
        "leadrank.auth.cli:users_app",
        "People who sign in to the web app: roles admin, writer, reader.",
    ),
    "webhooks": Lazy(
        "leadrank.outlets.cli:webhooks_app",
        "Outgoing webhooks: endpoints that receive leadrank's events, signed the Standard "
        "Webhooks way.",
    ),
    "alerts": Lazy(
        "leadrank.outlets.cli:alerts_app",
        "Chat alerts (Slack incoming webhooks or JSON) when a lead enters a grade or "
        "reaches a score.",
    ),
    "routing": Lazy(
        "leadrank.routing.cli:routing_app",
        "Owner routing: rules that give each lead an owner by territory, segment and round robin.",
    ),
    "icp": Lazy(
        "leadrank.scoring.cli:icp_app", "Ideal customer profiles: fit rules and hard filters."
    ),
    "train": Lazy(
        "leadrank.training.cli:train",
        "Train, evaluate and register a model: on a table (--data, --target) or on the "
        "workspace's leads and events (--label).",
    ),
    "score": Lazy(
        "leadrank.scoring.cli:score",
        "Score a table (--data, -o) with a model, or every lead of the workspace (-o writes "
        "them, best first).",
    ),
    "evaluate": Lazy(
        "leadrank.training.cli:evaluate",
        "Print a model's held-out metrics (or its metrics on a new labelled table) and write "
        "the HTML report with ROC, calibration and lift charts.",
    ),
    "models": Lazy(
        "leadrank.training.cli:models_app", "The model registry: versions, stages, promotion."
    ),
    "stats": Lazy(
        "leadrank.leads.cli:stats",
        "Summarise the workspace: layers, imports, quality, lead mix and events.",
    ),
    "sample": Lazy(
        "leadrank.sample.cli:sample",
        "Write sample lead files from several vendors plus campaign, web and deal events.",
    ),
    "demo": Lazy(
        "leadrank.cli.demo:demo",
        "Generate a messy sample workspace, ingest it, learn from its outcomes, score every "
        "lead and show the 20 to work first with their reasons.",
    ),
    "demo-outlets": Lazy(
        "leadrank.cli.demo_outlets:demo_outlets",
        "Pull from a local fake HubSpot, score, route owners, push grades and owners back, and "
        "fire webhooks and a Slack alert to a local receiver.",
    ),
    "serve": Lazy(
        "leadrank.cli.serve:serve",
        "Serve the REST API (OpenAPI at /docs): scoring, leads, imports, models, jobs, health "
        "and metrics.",
    ),
    "jobs": Lazy(
        "leadrank.jobs.cli:jobs_app", "Background jobs: imports, enrichment, scoring and training."
    ),
    "enrich": Lazy(
        "leadrank.enrichment.cli:enrich_app",
        "Enrichment: fill in leads and companies from offline rules and vendors.",
    ),
    "connectors": Lazy(
        "leadrank.connectors.cli:connectors_app",
        "Vendor APIs: pull leads and activity, push scores to CRMs and campaigns.",
    ),
    "worker": Lazy(
        "leadrank.jobs.cli:worker",
        "Run queued jobs (imports, enrichment, scoring, training) until interrupted.",
    ),
}


class LeadrankGroup(LazyGroup):
    """`leadrank`'s own group, with the domains' commands."""

    lazy = COMMANDS


app = typer.Typer(
    name="leadrank",
    cls=LeadrankGroup,
    help="Self-hosted B2B lead scoring and enrichment: clean, de-duplicate, enrich and score leads.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"leadrank {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Self-hosted B2B lead scoring and enrichment: clean, de-duplicate, enrich and score leads."""


@app.command()
def init() -> None:
    """Create or upgrade the workspace database (commands that need it do this themselves)."""
    from leadrank.config import get_settings
    from leadrank.db.migrate import current_revision
    from leadrank.db.workspace_db import open_workspace
    from leadrank.kit.console import console

    with open_workspace(get_settings()) as engine:
        console.print(
            f"workspace ready at {engine.url.render_as_string(hide_password=True)} "
            f"(schema {current_revision(engine)})"
        )


def main() -> None:
    """Run the CLI: expected failures print one line on stderr and exit non-zero."""
    try:
        app()  # exits by itself; usage errors are rendered by Typer with exit code 2
    except AppError as exc:
        _fail(f"error: {exc.message}")
    except KeyboardInterrupt:
        _fail("interrupted: the unfinished file was rolled back", code=130)
    except Exception as exc:
        database = _database_error(exc)
        if database is None:
            raise
        # The transaction was rolled back: say what the database refused, in one line.
        first = (str(database).strip().splitlines() or [type(database).__name__])[0]
        _fail(f"error: database: {first} (its transaction was rolled back)")


def _database_error(exc: Exception) -> BaseException | None:
    """The database's own error behind `exc`, if it is one (SQLAlchemy and psycopg are looked
    up only if a command loaded them)."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.DBAPIError):
        orig: BaseException | None = exc.orig
        return orig
    psycopg = sys.modules.get("psycopg")
    if isinstance(exc, sqlite3.Error) or (psycopg is not None and isinstance(exc, psycopg.Error)):
        return exc
    return None


def _fail(message: str, *, code: int = 1) -> None:
    from leadrank.kit.console import err_console

    err_console.print(message, markup=False)
    sys.exit(code)
