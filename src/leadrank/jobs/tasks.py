"""The tasks a job can name, and what a task is given when it runs.

Tasks live in their domains (`ingest/tasks.py`, `training/tasks.py`), which register them as
entry points of the group `leadrank.tasks` in pyproject.toml: the job core knows them by name
only, and a task's module is imported when a job of its runs (the API starts without loading
the learners).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.errors import BadInput

TASK_ENTRY_POINTS = "leadrank.tasks"


@cache
def registered_tasks() -> dict[str, str]:
    """Every task's name -> "module:attribute" of its Task, as the domains registered them."""
    return {point.name: point.value for point in entry_points(group=TASK_ENTRY_POINTS)}


@dataclass
class TaskContext:
    """What a running task gets: its transaction, its arguments and a way to report progress."""

    session: Session
    arguments: dict[str, Any]
    settings: Settings
    progress: Callable[[str, int, int], None] = field(default=lambda stage, done, total: None)


@dataclass(frozen=True)
class Retry:
    """A task's declared retries: after a failure, up to `retries` more attempts, the n-th
    failure waiting `exponential_wait ** n` seconds (procrastinate's formula, so both runners
    wait alike). Bad input (an AppError) is never retried: it would fail the same way."""

    retries: int = 0
    exponential_wait: int = 2

    def wait_after(self, failures: int) -> float | None:
        """Seconds before the next attempt after `failures` failed ones; None: no more."""
        if failures > self.retries:
            return None
        return float(math.pow(self.exponential_wait, failures))


@dataclass(frozen=True)
class Task:
    """A unit of background work. `run` returns the job's result (JSON); `failed` records a
    failure on the task's own rows, in a fresh transaction, after `run` raised."""

    run: Callable[[TaskContext], dict[str, Any]]
    failed: Callable[[Session, dict[str, Any], str], None] | None = None
    # True: `run` commits in short transactions of its own (from `context.session.get_bind()`)
    # and must be safe to run again after a crash; its session is only for reading.
    own_transactions: bool = False
    retry: Retry = Retry()
    queue: str = "default"  # procrastinate's queue: workers can be given some queues only


def task_named(name: str) -> Task:
    """The task of this name."""
    tasks = registered_tasks()
    if name not in tasks:
        raise BadInput(f"unknown task {name!r}; known: {', '.join(sorted(tasks))}")
    module, attribute = tasks[name].split(":")
    task: Task = getattr(import_module(module), attribute)
    return task
