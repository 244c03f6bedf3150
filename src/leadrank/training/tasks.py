"""Thin jobs over training: a workspace model trained in the background."""

from __future__ import annotations

from typing import Any

from leadrank.jobs.tasks import Task, TaskContext
from leadrank.training import registry


def _train_model(context: TaskContext) -> dict[str, Any]:
    from leadrank.training.fit import TrainOptions  # the learners load only in the job
    from leadrank.training.outcomes import train_workspace

    arguments = context.arguments
    options = TrainOptions(
        exclude=tuple(arguments.get("exclude", ())),
        keep=tuple(arguments.get("keep", ())),
        seed=int(arguments.get("seed", 0)),
        time_budget=float(arguments.get("time_budget", 120.0)),
    )
    context.progress("train", 0, 1)
    outcome = train_workspace(
        context.session,
        label=arguments["label"],
        data_dir=context.settings.data_dir,
        name=arguments.get("name"),
        options=options,
    )
    context.progress("train", 1, 1)
    model = outcome.model
    return {
        "model": registry.label(model),
        "name": model.name,
        "version": model.version,
        "stage": model.stage,
        "metrics": model.metrics,
        "leads": outcome.leads,
        "mature": outcome.mature,
        "positives": outcome.positives,
        "warnings": list(outcome.result.warnings),
    }


TRAIN_MODEL = Task(run=_train_model)
