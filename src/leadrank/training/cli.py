"""`leadrank train`, `leadrank evaluate` and `leadrank models ...`: thin commands over the
trainers and the registry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from leadrank.config import get_settings
from leadrank.db.workspace_db import workspace_session
from leadrank.errors import BadInput
from leadrank.kit.console import NUMBER, Column, console, err_console, fitted_table
from leadrank.training import registry

if TYPE_CHECKING:
    from leadrank.training.fit import TrainResult

# The learners (LightGBM, scikit-learn) are imported by the commands that use them, so that
# `leadrank --help` and every other command start in a fraction of the time.


def train(
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="A table with outcomes (CSV, JSONL, ...)")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Outcome column")] = None,
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            help='Workspace label, e.g. "deal_won within 90d" or "replied within 14d of email_sent"',
        ),
    ] = None,
    positive: Annotated[
        list[str] | None, typer.Option("--positive", help="Target value(s) that count as success")
    ] = None,
    negative: Annotated[
        list[str] | None,
        typer.Option("--negative", help="Target value(s) that count as failure (others left out)"),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", "-x", help="Column to leave out (repeatable)")
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option("--keep", help="Suspected leak to keep anyway (repeatable)"),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Registry name (default: the target)")
    ] = None,
    time_column: Annotated[
        str | None,
        typer.Option(
            "--time-column", help="Date column for a time-based held-out split ('' for none)"
        ),
    ] = None,
    time_budget: Annotated[
        float, typer.Option("--time-budget", help="Seconds for trying more learners")
    ] = 120.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Train, evaluate and register a model: on a table (--data, --target) or on the
    workspace's leads and events (--label)."""
    settings = get_settings()
    from leadrank.training.fit import TrainOptions
    from leadrank.training.outcomes import train_workspace
    from leadrank.training.table import train_table

    options = TrainOptions(
        exclude=tuple(exclude or ()),
        keep=tuple(keep or ()),
        time_column=time_column,
        seed=seed,
        time_budget=time_budget,
    )
    if data is not None:
        if target is None:
            raise BadInput("--data needs --target COLUMN (the outcome to learn)")
        err_console.print(f"training on {data.name} ...")
        with workspace_session(settings) as session:
            trained = train_table(
                session,
                path=data,
                target=target,
                data_dir=settings.data_dir,
                positive=positive,
                negative=negative,
                name=name,
                options=options,
            )
            model_label, stage = registry.label(trained.model), trained.model.stage
        if trained.unlabelled:
            console.print(f"{trained.unlabelled:,} rows without a usable target were left out")
        render_training(trained.result, trained.target)
        console.print(f"model {model_label} ({stage}); report: {trained.report}")
        return
    if label is not None:
        with workspace_session(settings) as session:
            outcome = train_workspace(
                session, label=label, data_dir=settings.data_dir, name=name, options=options
            )
            model_label, stage = registry.label(outcome.model), outcome.model.stage
        console.print(
            f"{outcome.mature:,} mature leads ({outcome.positives:,} positive) of "
            f"{outcome.leads:,}; {outcome.immature:,} still inside their window; "
            f"{outcome.early:,} reached the outcome before the first look; "
            f"{outcome.snapshots:,} looks at the open leads trained"
        )
        render_training(outcome.result, outcome.target)
        console.print(f"model {model_label} ({stage}); report: {outcome.report}")
        return
    raise BadInput(
        "say what to learn: --data FILE --target COLUMN, or --label 'deal_won within 90d'"
    )


def render_training(result: TrainResult, target: str) -> None:
    """Print what training found: leaks, learners compared, held-out metrics, top columns."""
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", markup=False)
    console.print(f"predicting {target}")
    columns = [
        Column("learner compared", share=1),
        Column("CV ROC-AUC", **NUMBER),
        Column("log-loss", **NUMBER),
        Column("seconds", **NUMBER),
    ]
    rows = [
        [
            tried.candidate.label,
            f"{tried.auc:.3f}",
            f"{tried.log_loss:.4f}",
            f"{tried.seconds:.1f}",
        ]
        for tried in result.tried
    ]
    console.print(fitted_table(columns, rows, width=console.width))
    meta = result.bundle.metadata
    console.print(f"chosen: {meta['learner']}, calibrated; held out: {result.split}")
    for line in result.evaluation.summary_lines():
        console.print("  " + line)
    top = ", ".join(f"{name} {share:.0%}" for name, share in result.importances[:6])
    console.print(f"  most important: {top}")


def evaluate(
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Registry name or name:vN")
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="A labelled table to evaluate on")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", "-t")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Where to write the HTML")] = None,
) -> None:
    """Print a model's held-out metrics (or its metrics on a new labelled table) and write the
    HTML report with ROC, calibration and lift charts."""
    settings = get_settings()
    from leadrank.training.assess import assess

    with workspace_session(settings) as session:
        outcome = assess(
            session,
            reference=model,
            data=data,
            target=target,
            data_dir=settings.data_dir,
            report=report,
        )
    console.print(f"model {outcome.label}: {outcome.described}")
    for line in outcome.evaluation.summary_lines():
        console.print("  " + line)
    table = Table(title="calibration (held-out)")
    for column in ("predicted", "rows", "mean predicted", "observed"):
        table.add_column(column)
    for row in outcome.evaluation.calibration:
        table.add_row(
            f"{row.lower:.1f}-{row.upper:.1f}",
            f"{row.rows:,}",
            f"{row.mean_predicted:.3f}",
            f"{row.observed_rate:.3f}",
        )
    console.print(table)
    console.print(f"report: {outcome.report}")


models_app = typer.Typer(
    help="The model registry: versions, stages, promotion.", no_args_is_help=True
)


@models_app.command("list")
def models_list(name: Annotated[str | None, typer.Argument(help="Only this model")] = None) -> None:
    """Every model version with its stage and headline metrics."""
    with workspace_session() as session:
        found = registry.list_models(session, name=name)
        columns = [
            Column("model", share=2),
            Column("stage", fixed=True),
            Column("kind", fixed=True, drop=2),
            Column("algorithm", drop=3),
            Column("ROC-AUC", **NUMBER),
            Column("Brier", **NUMBER),
            Column("created", fixed=True, drop=1),
            Column("predicts", share=3),
        ]
        rows = [
            [
                registry.label(m),
                m.stage,
                m.kind,
                m.algorithm,
                _metric(m.metrics.get("roc_auc")),
                _metric(m.metrics.get("brier")),
                m.created_at.strftime("%Y-%m-%d %H:%M"),
                m.target,
            ]
            for m in found
        ]
    shown = fitted_table(columns, rows, width=console.width)
    console.print(shown if found else "no models yet: `leadrank train --help`")


@models_app.command("show")
def models_show(reference: Annotated[str, typer.Argument(help="name or name:vN")]) -> None:
    """One version's metadata: features, metrics, leaks, libraries, files."""
    with workspace_session() as session:
        model = registry.find(session, reference)
        meta = registry.load(model).metadata
        console.print(f"[bold]{registry.label(model)}[/bold] {model.stage}, {model.algorithm}")
        console.print(f"predicts {model.target}")
        for key in ("learner", "rows", "positives", "split", "data_hash", "trained_at"):
            console.print(f"  {key}: {meta.get(key)}")
        for key, value in model.metrics.items():
            console.print(f"  {key}: {_metric(value)}")
        console.print(
            f"  features ({len(meta.get('features', []))}): {', '.join(meta.get('features', [])[:30])}"
        )
        for leak in meta.get("leaks", []):
            console.print(f"  suspected leak: {leak['column']}: {leak['evidence']}", markup=False)
        console.print(f"  libraries: {meta.get('libraries')}")
        console.print(f"  files: {model.path}")


@models_app.command("promote")
def models_promote(
    reference: Annotated[str, typer.Argument(help="name (its newest shadow) or name:vN")],
) -> None:
    """Make a version active; the one it replaces is archived."""
    with workspace_session() as session:
        chosen, replaced = registry.promote(session, reference=reference)
        message = f"{registry.label(chosen)} is active"
        if replaced is not None:
            message += f"; {registry.label(replaced)} archived (undo with `leadrank models rollback {chosen.name}`)"
    console.print(message)


@models_app.command("rollback")
def models_rollback(name: Annotated[str, typer.Argument(help="Model name")]) -> None:
    """Reactivate the version that the active one replaced."""
    with workspace_session() as session:
        restored, archived = registry.rollback(session, name=name)
        message = f"{registry.label(restored)} is active again; {registry.label(archived)} archived"
    console.print(message)


def _metric(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else "-"
