"""`create_app(settings)`: the FastAPI application of `leadrank serve`.

Nothing is built at import time: the lifespan opens the database engine and loads the model
the scoring API serves, once per process, and every route reads them from `app.state`.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from leadrank import __version__
from leadrank.api import health
from leadrank.api.access_log import AccessLog
from leadrank.api.docs import install_docs
from leadrank.api.errors import install_error_handlers
from leadrank.api.middleware import RequestContext
from leadrank.auth.guard import build_guard
from leadrank.auth.keys import any_keys
from leadrank.config import Settings, get_settings
from leadrank.connectors import crm_routes
from leadrank.connectors.instantly import webhooks as instantly_webhooks
from leadrank.db.engine import build_engine, session_scope
from leadrank.enrichment import routes as enrichment_routes
from leadrank.ingest import import_routes
from leadrank.ingest import routes as ingest_routes
from leadrank.jobs import routes as job_routes
from leadrank.jobs.runner import JobRunner
from leadrank.kit.logs import configure_logging
from leadrank.leads import routes as lead_routes
from leadrank.monitoring import metrics as prometheus
from leadrank.outlets import routes as outlet_routes
from leadrank.routing import routes as routing_routes
from leadrank.scoring import icp_routes
from leadrank.scoring.online import routes as scoring_routes
from leadrank.scoring.online.build import (
    OnlineScoring,
    Served,
    build_online_scoring,
    what_to_serve,
)
from leadrank.scoring.online.lane import ScoringLane
from leadrank.training import routes as model_routes
from leadrank.web.routes import install_web

log = structlog.get_logger("leadrank.api")


class LeadrankApi(FastAPI):
    """The FastAPI application behind one request context, with scoring answered in front.

    `front` gives every request its id, body limit, access log line and metrics (and CORS
    when it is on), answers a POST to a scoring path itself, and hands everything else to
    FastAPI's own stack. FastAPI's layers (its telemetry and body-limit middleware,
    Starlette's error middleware, the router) cost more than scoring one lead; the routes
    stay, so the OpenAPI document still describes the scoring paths.
    """

    front: ASGIApp | None = None  # set by create_app; None: FastAPI's stack alone
    around: Callable[[ASGIApp], ASGIApp]  # CORS and the request context, set by create_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await (self.front or self.stack)(scope, receive, send)

    async def stack(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's own middleware and routes."""
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> LeadrankApi:
    """The API with its routes, error shape and middleware."""
    settings = settings or get_settings()
    # The API's own lines (one per request) are INFO: the default WARNING would hide them.
    log_level = settings.log_level if settings.log_level != "WARNING" else "INFO"

    access_log = AccessLog.for_level(
        enabled=settings.api_access_log, level=log_level, buffered=True
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.api_access_log:
            # Each worker process configures its own logging: workers are spawned afresh.
            configure_logging(log_level)
        engine = build_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = engine
        with session_scope(engine) as session:
            auth = settings.api_auth if settings.api_auth is not None else any_keys(session)
        app.state.guard = build_guard(engine, settings, auth=auth)
        _serve(app, build_online_scoring(engine, settings))
        runner = JobRunner(engine, settings) if settings.run_jobs else None
        # What start-up built lives as long as the process: keep it out of every collection.
        gc.freeze()
        if runner is not None:
            runner.start()
        flusher = asyncio.create_task(_flush_every_second(access_log))
        follower = (
            asyncio.create_task(_follow_what_to_serve(app, engine, settings))
            if settings.api_model_check_seconds > 0
            else None
        )
        try:
            yield
        finally:
            flusher.cancel()
            if follower is not None:
                follower.cancel()
            prometheus.flush()
            access_log.flush()
            if runner is not None:
                runner.stop()
            app.state.online_scoring.close()
            app.state.guard.close()
            engine.dispose()

    app = LeadrankApi(
        title="leadrank",
        version=__version__,
        summary="Self-hosted B2B lead scoring and enrichment",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, with no CDN
        redoc_url=None,
        telemetry={
            "tracing": settings.api_opentelemetry,
            "metrics": settings.api_opentelemetry,
            "logs": settings.api_opentelemetry,
        },
    )
    install_error_handlers(app)
    install_docs(app)
    app.include_router(health.router)
    app.include_router(scoring_routes.router)
    app.include_router(ingest_routes.router)
    app.include_router(lead_routes.router)
    app.include_router(import_routes.router)
    app.include_router(model_routes.router)
    app.include_router(icp_routes.router)
    app.include_router(job_routes.router)
    app.include_router(enrichment_routes.router)
    app.include_router(outlet_routes.router)
    app.include_router(outlet_routes.alerts_router)
    app.include_router(routing_routes.router)
    app.include_router(crm_routes.router)
    app.include_router(instantly_webhooks.router_for(settings))
    app.add_api_route(
        "/metrics",
        prometheus.metrics,
        methods=["GET"],
        summary="Prometheus metrics",
        tags=["health"],
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    install_web(app)
    _publish_schemas(app)

    def around(inner: ASGIApp) -> ASGIApp:
        """What wraps every answer: CORS when origins are named, and the request context."""
        if settings.api_cors_origins:  # off unless origins are named: browsers get no access
            inner = CORSMiddleware(
                inner,
                allow_origins=settings.api_cors_origins,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
                expose_headers=["X-Request-ID", "Retry-After"],
            )
        return RequestContext(
            inner,
            max_body_bytes=settings.api_max_body_bytes,
            larger_bodies={
                import_routes.router.prefix: settings.api_max_upload_bytes,
                "/imports/preview": settings.api_max_upload_bytes,  # the web app's uploads
            },
            access_log=access_log,
            body_timeout_seconds=settings.api_body_timeout_seconds,
        )

    app.around = around
    app.front = around(ScoringLane(app.stack, state=app.state, routes=scoring_routes.router.routes))
    return app


def _serve(app: FastAPI, scoring: OnlineScoring) -> None:
    """Answer scoring requests with `scoring` from now on."""
    app.state.online_scoring = scoring
    app.state.api_model = scoring.model
    app.state.api_scorer = scoring.scorer  # one reference swap: requests see one or the other
    prometheus.served_model(scoring.model.version if scoring.model else None)


async def _follow_what_to_serve(app: FastAPI, engine: Engine, settings: Settings) -> None:
    """Every few seconds, look for a newly active model (or profile) and serve it: trained,
    promoted or rolled back, it reaches every API process without a restart. The new scorer is
    built beside the old one, which answers until the swap."""
    failed: Served | None = None  # what could not be built, not tried again until it changes
    while True:
        await asyncio.sleep(settings.api_model_check_seconds)
        try:
            wanted = await asyncio.to_thread(_what_to_serve, engine, settings)
        except Exception as exc:  # the database away for a moment: keep serving what we have
            log.warning("could not look for a newer model", error=type(exc).__name__)
            continue
        if wanted in (app.state.online_scoring.served, failed):
            continue
        try:
            built = await asyncio.to_thread(build_online_scoring, engine, settings)
        except Exception:
            log.exception("the model to serve could not be loaded; the previous one serves")
            failed = wanted
            continue
        previous = app.state.online_scoring
        _serve(app, built)
        previous.close()
        failed = None
        log.info(
            "now serving",
            model=built.model.version if built.model else "rules",
            previous=previous.model.version if previous.model else "rules",
        )


def _what_to_serve(engine: Engine, settings: Settings) -> Served:
    with session_scope(engine) as session:
        return what_to_serve(session, settings)


async def _flush_every_second(access_log: AccessLog) -> None:
    """Write what this process's metrics and access log keep in memory, once a second."""
    while True:
        await asyncio.sleep(1.0)
        try:
            prometheus.flush()
            access_log.flush()
        except Exception:  # a full disk must not stop the flushing for good
            log.exception("flushing metrics or the access log failed")


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
