"""`/api/v1/health`, `/live` and `/ready`: for people, for a process supervisor and for a load
balancer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.responses import JSONResponse

from leadrank import __version__
from leadrank.db.migrate import current_revision, head_revision

router = APIRouter(prefix="/api/v1/health", tags=["health"])


@router.get("/live", summary="The process answers")
async def live() -> dict[str, str]:
    """Always 200 while the process runs."""
    return {"status": "live"}


@router.get(
    "/ready",
    summary="Ready to serve: database reachable, schema at head, scorer loaded",
    responses={503: {"description": "Not ready; `checks` says what is missing"}},
)
def ready(request: Request) -> JSONResponse:
    """200 when every check passes, else 503 with the checks."""
    checks = _checks(request)
    ok = all(check["ok"] for check in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
    )


@router.get("", summary="Version, model and checks")
def health(request: Request) -> dict[str, Any]:
    """What runs here and whether it is ready."""
    checks = _checks(request)
    model = getattr(request.app.state, "api_model", None)
    return {
        "status": "ok" if all(c["ok"] for c in checks.values()) else "degraded",
        "version": __version__,
        "model_version": model.version if model else "rules",
        "checks": checks,
    }


def _checks(request: Request) -> dict[str, dict[str, Any]]:
    engine = request.app.state.engine
    checks: dict[str, dict[str, Any]] = {}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
        current, head = current_revision(engine), head_revision()
        checks["migrations"] = {"ok": current == head, "current": current, "head": head}
    except Exception as exc:  # any failure to reach the database means "not ready"
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        checks["migrations"] = {"ok": False}
    model = getattr(request.app.state, "api_model", None)
    scorer = getattr(request.app.state, "api_scorer", None)
    checks["model"] = {
        "ok": scorer is not None,
        "version": model.version if model else "rules" if scorer is not None else None,
    }
    return checks
