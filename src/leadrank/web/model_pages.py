"""`/models` and `/models/{name}/{version}`: the model registry with each version's stage and
headline metrics, and one version's held-out evaluation (the charts of the training report,
from `training.chart_specs`), its importances, suspected leaks and segments. An admin
promotes a version or rolls the active one back; `training.registry` does both, as the API
and the CLI do."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from leadrank.deps import ADMIN_ROLES, DbSession
from leadrank.errors import NotFound
from leadrank.kit.charts import svg
from leadrank.training import registry
from leadrank.training.chart_specs import (
    calibration_chart,
    gains_chart,
    importance_chart,
    lift_chart,
    roc_chart,
)
from leadrank.training.overview import VersionDetail, registry_overview, version_detail
from leadrank.web.deps import WebAdmin, WebReader
from leadrank.web.errors import WebRoute
from leadrank.web.responses import go_to, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Name = Annotated[str, PathParam(max_length=100)]
Version = Annotated[str, PathParam(max_length=12)]
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
# Digits 0-9 only (\d takes the digits of other scripts too), few enough for the database.
_VERSION = re.compile(r"[vV]?([0-9]{1,9})")
# What the page says after a change (the change itself travels as a word, not as text).
DONE = {"promoted", "rolled-back"}


@router.get("/models")
def models(request: Request, session: DbSession, user: WebReader) -> Response:
    """Every model name with its versions, stages and headline metrics."""
    return render(request, "models/registry.html", {"names": registry_overview(session)})


@router.get("/models/{name}/{version}")
def model_version(
    request: Request,
    session: DbSession,
    user: WebReader,
    name: Name,
    version: Version,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """One version: metrics, charts, importance, leaks, segments, label and data window."""
    detail = version_detail(session, name=_name(name), version=_number(version))
    context = {
        "detail": detail,
        "model": detail.model,
        "charts": _charts(detail),
        "done": done if done in DONE else None,
        "may_change": user.role in ADMIN_ROLES,
    }
    return render(request, "models/version.html", context)


@router.post("/models/{name}/{version}/promote")
def promote(
    request: Request, session: DbSession, user: WebAdmin, name: Name, version: Version
) -> Response:
    """Make this version active; the version it replaces is archived."""
    chosen, _ = registry.promote(session, reference=f"{_name(name)}:v{_number(version)}")
    return go_to(f"/models/{chosen.name}/{chosen.version}?done=promoted", request=request)


@router.post("/models/{name}/{version}/rollback")
def rollback(
    request: Request, session: DbSession, user: WebAdmin, name: Name, version: Version
) -> Response:
    """Archive this (active) version and make the one it replaced active again."""
    restored, _ = registry.rollback(session, name=_name(name), version=_number(version))
    return go_to(f"/models/{restored.name}/{restored.version}?done=rolled-back", request=request)


def _charts(detail: VersionDetail) -> dict[str, str | None]:
    """The version's charts as SVG, by name; the evaluation's none when it was stored without
    one, and importance None when it has no importances (the page says so)."""
    charts: dict[str, str | None] = {"importance": None}
    if detail.evaluation is not None:
        evaluation = detail.evaluation
        charts["roc"] = svg(roc_chart(evaluation))
        charts["calibration"] = svg(calibration_chart(evaluation))
        charts["gains"] = svg(gains_chart(evaluation))
        charts["lift"] = svg(lift_chart(evaluation))
    if detail.importances:
        charts["importance"] = svg(importance_chart(detail.importances))
    return charts


def _name(text: str) -> str:
    if not _NAME.fullmatch(text):
        raise NotFound(f"no model named {text!r}")
    return text


def _number(text: str) -> int:
    found = _VERSION.fullmatch(text)
    if not found:
        raise NotFound(f"no model version {text!r}: versions are numbers, such as 3")
    return int(found.group(1))
