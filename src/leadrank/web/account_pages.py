"""Pages of the web app (being built)."""

from __future__ import annotations

from fastapi import APIRouter

from leadrank.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
