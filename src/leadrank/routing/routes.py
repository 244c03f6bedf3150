"""`/api/v1/routing` (the active rule set; storing one is for admins; a routing run is for
writers) and `/api/v1/leads/{id}/owner` (an owner set by hand). Thin: `routing.service` does
the work."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam

from leadrank.api.errors import BadJson, InvalidPayload, error_responses
from leadrank.deps import READERS, WRITERS, Admin, DbSession
from leadrank.errors import BadInput, NotFound
from leadrank.routing import service
from leadrank.routing.schemas import (
    OwnerIn,
    OwnerPublic,
    RouteIn,
    RouteReportPublic,
    RulesetPublic,
)
from leadrank.routing.yaml_text import MAX_CHARS

router = APIRouter(tags=["routing"], responses=error_responses(401, 403, 422, 429))
Id = Annotated[int, PathParam(ge=1, le=2**62)]
YAML_TYPES = ("text/plain", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


async def _rules_text(request: Request) -> str:
    """The rule set's YAML: the body as text, or the `yaml` member of a JSON object."""
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):
            raise BadJson("the body is not JSON") from None
        if not isinstance(document, dict) or not isinstance(document.get("yaml"), str):
            raise InvalidPayload('send {"yaml": "..."} or the YAML as text/plain', path="$.yaml")
        text: str = document["yaml"]
    elif kind in YAML_TYPES or not kind:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput("the rule set is not UTF-8 text") from None
    else:
        raise BadInput(f"send the rule set as text/plain (YAML) or application/json, not {kind}")
    if len(text) > MAX_CHARS:
        raise BadInput(f"the rule set is longer than {MAX_CHARS:,} characters")
    return text


@router.get(
    "/api/v1/routing",
    summary="The active routing rules",
    dependencies=[READERS],
    responses=error_responses(404),
)
def get_rules(session: DbSession) -> RulesetPublic:
    """The rule set routing uses now: its version, its YAML and the rules as checked."""
    record = service.active_ruleset(session)
    if record is None:
        raise NotFound("no routing rules yet")
    return RulesetPublic.of(record)


@router.put(
    "/api/v1/routing",
    summary="Store and activate routing rules",
    responses=error_responses(400),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": {"type": "string", "description": "The YAML"}},
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"yaml": {"type": "string"}},
                        "required": ["yaml"],
                    }
                },
            },
        }
    },
)
def put_rules(
    session: DbSession,
    principal: Admin,
    text: Annotated[str, Depends(_rules_text)],
) -> RulesetPublic:
    """Check a rule set (YAML: owners, teams, rules, fallback), store it as the next version
    and make it the active one; 400 names the line and rule of the first problem."""
    record = service.set_rules(
        session, text=text, source="the rule set", created_by=principal.prefix
    )
    return RulesetPublic.of(record)


@router.post(
    "/api/v1/routing/run",
    summary="Route leads to owners",
    dependencies=[WRITERS],
    responses=error_responses(400, 409),
)
def run_routing(session: DbSession, body: RouteIn) -> RouteReportPublic:
    """Give owners to these leads (default: every lead without one; `everyone`: all leads)
    by the active rules; `dry_run` only reports what would change."""
    report = service.route(
        session, lead_ids=body.lead_ids, everyone=body.everyone, dry_run=body.dry_run
    )
    return RouteReportPublic.of(report)


@router.put(
    "/api/v1/leads/{lead_id}/owner",
    summary="Set a lead's owner",
    tags=["leads"],
    dependencies=[WRITERS],
    responses=error_responses(400, 404),
)
def put_owner(session: DbSession, lead_id: Id, body: OwnerIn) -> OwnerPublic:
    """Give the lead an owner by hand (an email; null takes the owner away): its source is
    "manual" and `lead.owner_changed` tells who listens."""
    return OwnerPublic.of(service.set_owner(session, lead_id=lead_id, owner=body.owner))
