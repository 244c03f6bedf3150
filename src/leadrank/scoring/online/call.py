"""One call of the scoring endpoint, from the request's bytes to the answer's: decode and
validate with msgspec, score, count the grades, encode. Shared by the FastAPI route and the
lane in front of it, so both answer and fail alike."""

from __future__ import annotations

from typing import Protocol

import msgspec

from leadrank.api.errors import BadJson, InvalidPayload, PayloadTooLarge
from leadrank.monitoring.metrics import observe_scores
from leadrank.scoring.online.model_scorer import reserved_custom_names
from leadrank.scoring.online.schemas import MAX_LEADS, ScoreRequest, ScoreResponse

SCORING_ROLES = ("scorer", "writer", "admin")
_decoder = msgspec.json.Decoder(ScoreRequest)
_encoder = msgspec.json.Encoder()
_LEADS_OVER = f"length <= {MAX_LEADS}"


class Scorer(Protocol):
    """What serves the API: the model's scorer or the rules."""

    def score(self, request: ScoreRequest, *, request_id: str) -> ScoreResponse:
        """Score every lead of a request, in its order."""
        ...


def score_body(scorer: Scorer, body: bytes, request_id: str) -> bytes:
    """The JSON answer to a request body; InvalidPayload, PayloadTooLarge or BadJson when
    the body cannot be scored."""
    try:
        payload = _decoder.decode(body)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `")
        path = where.rstrip("`") or "$"
        if path == "$.leads" and _LEADS_OVER in message:
            raise PayloadTooLarge(f"at most {MAX_LEADS} leads per request") from None
        raise InvalidPayload(message, path) from None
    except msgspec.DecodeError as exc:
        raise BadJson(f"the body is not valid JSON: {exc}") from None
    reserved = reserved_custom_names(payload)
    if reserved:
        raise InvalidPayload(
            f"custom feature names that are core fields: {', '.join(reserved)}",
            "$.leads[*].custom_features",
        )
    answer = scorer.score(payload, request_id=request_id)
    observe_scores([lead.grade for lead in answer.scores], answer.model_version)
    return _encoder.encode(answer)
