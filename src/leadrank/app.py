"""`create_app(settings)`: the FastAPI application of `leadrank serve`.

Nothing is built at import time: the lifespan opens the database engine and loads the model
the scoring API serves, once per process, and every route reads them from `app.state`.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.responses import Response

from leadrank import __version__
from leadrank.api import health
from leadrank.api.access_log import AccessLog
from leadrank.api.errors import install_error_handlers
from leadrank.api.middleware import RequestContext
from leadrank.auth.guard import Guard
from leadrank.auth.keys import any_keys
from leadrank.config import Settings, get_settings
from leadrank.db.engine import build_engine, session_scope
from leadrank.ingest import import_routes
from leadrank.ingest import routes as ingest_routes
from leadrank.jobs import routes as job_routes
from leadrank.jobs.runner import JobRunner
from leadrank.kit.logs import configure_logging
from leadrank.leads import routes as lead_routes
from leadrank.monitoring.metrics import metrics, served_model
from leadrank.scoring import icp_routes
from leadrank.scoring import routes as scoring_routes
from leadrank.scoring.api_model import load_api_model
from leadrank.scoring.api_rules import RulesScorer
from leadrank.scoring.api_service import ApiScorer
from leadrank.scoring.api_split import SplitScorer, split_scorer
from leadrank.scoring.grades import Blend, GradeScale
from leadrank.scoring.icp_store import scoring_profile
from leadrank.scoring.lane import ScoringLane
from leadrank.training import routes as model_routes


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API with its routes, error shape and middleware."""
    settings = settings or get_settings()
    # The API's own lines (one per request) are INFO: the default WARNING would hide them.
    log_level = settings.log_level if settings.log_level != "WARNING" else "INFO"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.api_access_log:
            # Each worker process configures its own logging: workers are spawned afresh.
            configure_logging(log_level)
        engine = build_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = engine
        with session_scope(engine) as session:
            model = load_api_model(session, settings)
            auth = settings.api_auth if settings.api_auth is not None else any_keys(session)
            profile = scoring_profile(session)
        app.state.guard = Guard(engine if auth else None, workers=settings.api_workers)
        app.state.api_model = model
        served_model(model.version if model else None)
        app.state.api_scorer = (
            split_scorer(ApiScorer(model))
            if model is not None
            else RulesScorer(
                profile,
                blend=Blend.parse(settings.score_blend),
                grades=GradeScale.parse(settings.grade_thresholds),
            )
        )
        runner = JobRunner(engine, settings) if settings.run_jobs else None
        # What start-up built lives as long as the process: keep it out of every collection.
        gc.freeze()
        if runner is not None:
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            if isinstance(app.state.api_scorer, SplitScorer):
                app.state.api_scorer.close()
            engine.dispose()

    app = FastAPI(
        title="leadrank",
        version=__version__,
        summary="Self-hosted B2B lead scoring and enrichment",
        lifespan=lifespan,
        telemetry={
            "tracing": settings.api_opentelemetry,
            "metrics": settings.api_opentelemetry,
            "logs": settings.api_opentelemetry,
        },
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(scoring_routes.router)
    app.include_router(ingest_routes.router)
    app.include_router(lead_routes.router)
    app.include_router(import_routes.router)
    app.include_router(model_routes.router)
    app.include_router(icp_routes.router)
    app.include_router(job_routes.router)
    app.add_api_route(
        "/metrics",
        metrics,
        methods=["GET"],
        summary="Prometheus metrics",
        tags=["health"],
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    _publish_schemas(app)
    # Innermost, so CORS and RequestContext wrap the scoring answers as they wrap the rest.
    app.add_middleware(ScoringLane, state=app.state, routes=scoring_routes.router.routes)
    if settings.api_cors_origins:  # off unless origins are named: browsers get no access
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(
        RequestContext,
        max_body_bytes=settings.api_max_body_bytes,
        larger_bodies={import_routes.router.prefix: settings.api_max_upload_bytes},
        access_log=AccessLog.for_level(enabled=settings.api_access_log, level=log_level),
    )
    return app


def _publish_schemas(app: FastAPI) -> None:
    """Add the msgspec schemas of the scoring endpoint to the OpenAPI components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            components = document.setdefault("components", {})
            components.setdefault("schemas", {}).update(scoring_routes.COMPONENTS)
            components["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            }
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
