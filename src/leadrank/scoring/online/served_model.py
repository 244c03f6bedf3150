"""The model the scoring API serves: the active version of the configured name (a table model
trained on the API's columns), else the demo model that ships with leadrank."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.errors import Conflict
from leadrank.grades import GradeScale
from leadrank.orm.scoring import ModelVersion
from leadrank.scoring.online.lead_table import CORE_FIELDS, RECENCY_FIELD
from leadrank.training import registry
from leadrank.training.bundle import ModelBundle

DEMO_MODEL_DIR = Path(__file__).parent / "demo_model"
_INPUTS = frozenset((*CORE_FIELDS, RECENCY_FIELD))


@dataclass
class ApiModel:
    """The model the API serves, loaded once per process."""

    bundle: ModelBundle
    version: str  # "api-leads:v3", or "demo:v1" for the built-in one
    grades: GradeScale = field(default_factory=GradeScale)

    @property
    def custom_names(self) -> list[str]:
        """The model's input columns that requests send as custom features."""
        return [c.name for c in self.bundle.plan.used if c.name not in _INPUTS]

    @property
    def input_columns(self) -> list[str]:
        """Every column the model reads."""
        return [c.name for c in self.bundle.plan.used]


def load_api_model(session: Session, settings: Settings) -> ApiModel | None:
    """The active version of `settings.api_model`, else the demo model (unless turned off)."""
    grades = settings.grade_thresholds
    active: ModelVersion | None = next(
        (m for m in registry.list_models(session, name=settings.api_model) if m.stage == "active"),
        None,
    )
    if active is not None:
        if active.kind != "table":
            raise Conflict(
                f"{registry.label(active)} is a workspace model; the scoring API serves a model "
                "trained with `leadrank train --data` on the API's columns"
            )
        return ApiModel(registry.load(active), registry.label(active), grades)
    if settings.api_demo_model:
        return demo_model(grades)
    return None


def demo_model(grades: GradeScale | None = None) -> ApiModel:
    """The model that ships with leadrank, trained on generated leads, so the API is useful on
    a fresh workspace; answers name it as "demo:v1"."""
    bundle = ModelBundle.load(DEMO_MODEL_DIR)
    return ApiModel(bundle, f"demo:v{bundle.metadata.get('version', 1)}", grades or GradeScale())
