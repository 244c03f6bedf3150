"""`/api/v1/models`: the registry over HTTP (list, one version with its metrics, promote,
rollback). Thin: `registry` does the work and raises 404 or 409 as the CLI shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from leadrank.api.errors import error_responses
from leadrank.deps import ADMINS, NO_NUL, READERS, Admin, DbSession
from leadrank.jobs.defer import defer
from leadrank.jobs.schemas import JobPublic
from leadrank.orm.scoring import ModelVersion
from leadrank.training import registry
from leadrank.training.outcomes import parse_label

router = APIRouter(
    prefix="/api/v1/models", tags=["models"], responses=error_responses(401, 403, 422, 429)
)
Reference = Annotated[
    str, PathParam(max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*(:[vV]?\d{1,9})?$")
]
Name = Annotated[str, PathParam(max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class ModelPublic(BaseModel):
    """One model version in the registry."""

    name: str
    version: int
    reference: str  # "name:vN"
    stage: str
    kind: str
    algorithm: str
    target: str
    metrics: dict[str, Any]
    created_at: datetime
    stage_changed_at: datetime


class ModelDetail(ModelPublic):
    """A version with its held-out evaluation and what it learnt from."""

    evaluation: dict[str, Any]
    features: list[str]
    importances: list[Any]
    leaks: list[Any]
    learner: str | None
    data_hash: str | None


class StageChange(BaseModel):
    """What a promotion or a rollback did."""

    active: ModelPublic
    archived: ModelPublic | None


class TrainRequest(BaseModel):
    """What to learn from the workspace's leads and events, as `leadrank train --label`."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        examples=["deal_won within 90d", "meeting_booked or deal_won within 120d"],
    )
    name: str | None = Field(default=None, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")
    exclude: list[Annotated[str, Field(max_length=200, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=200
    )
    keep: list[Annotated[str, Field(max_length=200, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=200
    )
    time_budget: float = Field(default=120.0, ge=0, le=3600)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


@router.post(
    "/train",
    summary="Train a model in the background",
    status_code=202,
    responses=error_responses(400),
)
def train(
    session: DbSession,
    body: TrainRequest,
    principal: Admin,
) -> JobPublic:
    """Queue training on the workspace; the job's result names the new version (shadow until
    promoted, unless it is the first of its name). Follow it at `/api/v1/jobs/{id}`."""
    parse_label(body.label)  # a label that cannot be read is refused now, not in the job
    job = defer(
        session,
        task="train_model",
        arguments=body.model_dump(exclude_none=True),
        requested_by=principal.prefix,
    )
    return JobPublic.of(job)


@router.get("", summary="Model versions", dependencies=[READERS])
def list_models(
    session: DbSession, name: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None
) -> list[ModelPublic]:
    """Every version, newest first (of one name, when given)."""
    return [_public(m) for m in registry.list_models(session, name=name)]


@router.get(
    "/{reference}",
    summary="One version with its metrics",
    dependencies=[READERS],
    responses=error_responses(400, 404),
)
def get_model(session: DbSession, reference: Reference) -> ModelDetail:
    """A version by "name:vN", or a name's active version."""
    model = registry.find(session, reference)
    metadata = registry.load(model).metadata
    return ModelDetail(
        **_public(model).model_dump(),
        evaluation=metadata.get("metrics", {}),
        features=list(metadata.get("features", [])),
        importances=list(metadata.get("importances", [])),
        leaks=list(metadata.get("leaks", [])),
        learner=metadata.get("learner"),
        data_hash=metadata.get("data_hash"),
    )


@router.post(
    "/{reference}/promote",
    summary="Make a version active",
    dependencies=[ADMINS],
    responses=error_responses(400, 404, 409),
)
def promote(session: DbSession, reference: Reference) -> StageChange:
    """ "name:vN" becomes active, or a name's newest shadow version; the one it replaces is
    archived."""
    chosen, replaced = registry.promote(session, reference=reference)
    return StageChange(active=_public(chosen), archived=_public(replaced) if replaced else None)


@router.post(
    "/{name}/rollback",
    summary="Back to the version the active one replaced",
    dependencies=[ADMINS],
    responses=error_responses(404, 409),
)
def rollback(session: DbSession, name: Name) -> StageChange:
    """Archive the active version and reactivate the one it replaced."""
    restored, archived = registry.rollback(session, name=name)
    return StageChange(active=_public(restored), archived=_public(archived))


def _public(model: ModelVersion) -> ModelPublic:
    return ModelPublic(
        name=model.name,
        version=model.version,
        reference=registry.label(model),
        stage=model.stage,
        kind=model.kind,
        algorithm=model.algorithm,
        target=model.target,
        metrics=dict(model.metrics or {}),
        created_at=model.created_at,
        stage_changed_at=model.stage_changed_at,
    )
