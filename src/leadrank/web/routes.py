"""Every page of the web app, mounted on the API's application by `create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from leadrank.web import (
    account_pages,
    assets,
    auth_pages,
    duplicate_pages,
    icp_pages,
    import_pages,
    job_pages,
    lead_detail_pages,
    lead_pages,
    model_pages,
    settings_pages,
)

_PAGES = (
    assets,
    auth_pages,
    lead_pages,
    lead_detail_pages,
    account_pages,
    import_pages,
    duplicate_pages,
    icp_pages,
    model_pages,
    job_pages,
    settings_pages,
)


def install_web(app: FastAPI) -> None:
    """Add the pages and their assets to `app`."""
    for module in _PAGES:
        app.include_router(module.router)
