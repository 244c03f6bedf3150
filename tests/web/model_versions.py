"""Two versions of a workspace model for the model pages' tests, trained once per test process
on a 1,500-person sample (training is the slow part) and registered in each test's own
workspace: v1 active, v2 in shadow, as a second training run leaves them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadrank.db.engine import build_engine, session_scope
from leadrank.training import registry
from leadrank.training.bundle import ModelBundle
from leadrank.training.fit import TrainOptions
from leadrank.training.outcomes import train_workspace
from tests.conftest import Workspace, ingest_sample

NAME = "meetings"
LABELS = ("meeting_booked or deal_won within 90d", "meeting_booked or deal_won within 120d")


@dataclass(frozen=True)
class Trained:
    """A trained version as the registry stored it, ready to register elsewhere."""

    artifact: bytes
    target: str
    label: dict[str, Any] | None


_trained: list[Trained] = []  # what the first caller of the process trained


def train_versions(template: Path, folder: Path) -> list[Trained]:
    """One version per label, trained on a sample workspace of its own (in `folder`) by the
    first caller of the process; later callers get the same versions."""
    if not _trained:
        _trained.extend(_train(template, folder))
    return list(_trained)


def _train(template: Path, folder: Path) -> list[Trained]:
    path = folder / "training.db"
    shutil.copy(template, path)
    engine = build_engine(f"sqlite:///{path}")
    try:
        ingest_sample(
            Workspace(f"sqlite:///{path}", engine, "sqlite"),
            folder / "sample",
            leads=1_500,
            seed=11,
        )
        trained = []
        for label in LABELS:
            with session_scope(engine) as session:
                run = train_workspace(
                    session,
                    label=label,
                    data_dir=folder / "data",
                    name=NAME,
                    options=TrainOptions(time_budget=0.0, folds=3),
                )
                model = run.model
                trained.append(Trained(model.artifact, model.target, model.label))
        return trained
    finally:
        engine.dispose()


def register_versions(workspace: Workspace, trained: list[Trained], data_dir: Path) -> None:
    """Register the trained versions, in order, in `workspace`."""
    for version in trained:
        with session_scope(workspace.engine) as session:
            registry.register(
                session,
                bundle=ModelBundle.from_bytes(version.artifact),
                name=NAME,
                kind="workspace",
                target=version.target,
                data_dir=data_dir,
                label=version.label,
            )


def stage_of(workspace: Workspace, version: int) -> str:
    """The stage of `meetings:vN` as stored."""
    with session_scope(workspace.engine) as session:
        return registry.find(session, f"{NAME}:v{version}").stage
