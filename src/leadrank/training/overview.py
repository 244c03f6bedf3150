"""What a person is shown of the model registry: each name's versions with their headline
figures, and one version whole (its held-out evaluation, importances, suspected leaks, label
and the period it learnt from). Read from each version's stored metadata, without loading its
learner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from leadrank.orm.scoring import ModelVersion
from leadrank.training import registry
from leadrank.training.evaluation import Evaluation
from leadrank.training.labels import LabelDefinition


@dataclass(frozen=True)
class DataWindow:
    """The period a version learnt from: the first and last date of its rows by `column`,
    and (for workspace models) the moment up to which outcomes were known."""

    column: str
    start: datetime
    end: datetime
    as_of: datetime | None = None


@dataclass(frozen=True)
class VersionSummary:
    """One version as the registry lists it."""

    model: ModelVersion
    rows: int | None  # labelled rows it learnt from
    positives: int | None
    window: DataWindow | None

    @property
    def metrics(self) -> dict[str, Any]:
        """Its headline held-out metrics."""
        return dict(self.model.metrics or {})


@dataclass(frozen=True)
class Leak:
    """A column suspected of giving the outcome away, and whether training left it out."""

    column: str
    evidence: str
    left_out: bool


@dataclass(frozen=True)
class VersionDetail:
    """One version whole, for its own page."""

    summary: VersionSummary
    evaluation: Evaluation | None  # None for a version stored without its evaluation
    importances: list[tuple[str, float]]
    leaks: list[Leak]
    label: LabelDefinition | None  # the workspace label it was trained on
    learner: str | None
    split: str | None
    cv_auc: float | None
    features: int
    trained_at: str | None
    replaced: ModelVersion | None  # the version it replaced as active: where rollback goes
    versions: list[ModelVersion]  # every version of its name, newest first

    @property
    def model(self) -> ModelVersion:
        """The version itself."""
        return self.summary.model


def registry_overview(session: Session) -> list[tuple[str, list[VersionSummary]]]:
    """Every model name (alphabetically) with its versions, newest first."""
    names: dict[str, list[VersionSummary]] = {}
    for model in registry.list_models(session):
        names.setdefault(model.name, []).append(_summary(model, registry.metadata(model)))
    for versions in names.values():
        versions.sort(key=lambda v: -v.model.version)
    return sorted(names.items())


def version_detail(session: Session, *, name: str, version: int) -> VersionDetail:
    """Version `version` of model `name`, with everything its page shows; NotFound if none."""
    model = registry.find(session, f"{name}:v{version}")
    meta = registry.metadata(model)
    versions = registry.list_models(session, name=name)
    replaced = next((v for v in versions if v.id == model.previous_active_id), None)
    columns = meta.get("columns") or {}
    return VersionDetail(
        summary=_summary(model, meta),
        evaluation=_evaluation(meta.get("metrics")),
        importances=[(str(n), float(v)) for n, v in meta.get("importances") or []],
        leaks=[
            Leak(
                column=str(leak["column"]),
                evidence=str(leak["evidence"]),
                left_out=(columns.get(leak["column"]) or {}).get("kind") == "excluded",
            )
            for leak in meta.get("leaks") or []
        ],
        label=_label(model.label),
        learner=meta.get("learner"),
        split=meta.get("split"),
        cv_auc=meta.get("cv_auc"),
        features=len(meta.get("features") or []),
        trained_at=meta.get("trained_at"),
        replaced=replaced,
        versions=sorted(versions, key=lambda v: -v.version),
    )


def _summary(model: ModelVersion, meta: dict[str, Any]) -> VersionSummary:
    return VersionSummary(
        model=model, rows=meta.get("rows"), positives=meta.get("positives"), window=_window(meta)
    )


def _window(meta: dict[str, Any]) -> DataWindow | None:
    """The stored data window; None for versions trained before it was kept, or without dates."""
    window = meta.get("data_window")
    if not window:
        return None
    try:
        as_of = window.get("as_of")
        return DataWindow(
            column=str(window["column"]),
            start=datetime.fromisoformat(window["start"]),
            end=datetime.fromisoformat(window["end"]),
            as_of=datetime.fromisoformat(as_of) if as_of else None,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _evaluation(metrics: Any) -> Evaluation | None:
    if not metrics:
        return None
    try:
        return Evaluation.model_validate(metrics)
    except ValidationError:
        return None  # stored by an older leadrank in another shape: the page shows the headline


def _label(stored: dict[str, Any] | None) -> LabelDefinition | None:
    if not stored:
        return None
    try:
        return LabelDefinition.model_validate(stored)
    except ValidationError:
        return None
