"""`POST /api/v1/scoring/score` (and its alias `POST /api/v1/score`): thin, and fast.

The body is decoded and validated by msgspec straight from bytes and the answer encoded the
same way; FastAPI's pydantic layer is skipped on this path only, and the schemas are still
published in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Request
from starlette.responses import Response

from leadrank.api.errors import ErrorResponse
from leadrank.scoring.online.call import SCORING_ROLES, score_body
from leadrank.scoring.online.schemas import MAX_LEADS, ScoreRequest, ScoreResponse

router = APIRouter(prefix="/api/v1", tags=["scoring"])
# The paths `ScoringLane` answers in front of the app; the routes below publish them.
SCORING_PATHS = frozenset(("/api/v1/scoring/score", "/api/v1/score"))


_SCHEMAS, COMPONENTS = msgspec.json.schema_components(
    (ScoreRequest, ScoreResponse, ErrorResponse), ref_template="#/components/schemas/{name}"
)


def _openapi() -> dict[str, Any]:
    request, response, error_shape = _SCHEMAS
    error = {"content": {"application/json": {"schema": error_shape}}}
    return {
        "security": [{"bearer": []}, {"apiKey": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": request}}},
        "responses": {
            "200": {
                "description": "Every lead's score, in the request's order",
                "content": {"application/json": {"schema": response}},
            },
            "400": {"description": "The body is not JSON", **error},
            "401": {"description": "No API key, or one that does not work", **error},
            "403": {"description": "The key's role may not score", **error},
            "413": {"description": f"More than {MAX_LEADS} leads, or too large a body", **error},
            "429": {"description": "Over the key's rate; see Retry-After", **error},
            "422": {"description": "The body does not follow the schema", **error},
        },
    }


async def _score(request: Request) -> Response:
    request.app.state.guard.check(request, SCORING_ROLES)
    body = await request.body()
    answer = score_body(request.app.state.api_scorer, body, request.state.request_id)
    return Response(answer, media_type="application/json")


_DESCRIPTION = (
    "Score 1 to 500 leads with the model the API serves (the demo model until one is active; "
    "the ICP rules and the reported activity when there is neither). "
    "Each answer carries score 1-5, score_100, probability, grade, confidence, the number of "
    "the model's inputs the lead filled, and the top reasons for and against."
)

for path, summary, operation in (
    ("/scoring/score", "Score leads", "score_leads"),
    ("/score", "Score leads (alias of /api/v1/scoring/score)", "score_leads_alias"),
):
    router.add_api_route(
        path,
        _score,
        methods=["POST"],
        summary=summary,
        description=_DESCRIPTION,
        response_class=Response,
        openapi_extra=_openapi(),
        operation_id=operation,
    )
