"""Whether an event meets an alert rule: a lead entering one of the rule's grades (from
another grade or from none), or its score reaching the rule's line from below. Pure."""

from __future__ import annotations

from typing import Any

from leadrank.outbox.events import LEAD_GRADE_CHANGED, LEAD_SCORED


def meets(
    event_type: str, data: dict[str, Any], *, grades: list[str], min_score: float | None
) -> bool:
    """Whether this event is news for a rule watching `grades` and `min_score`."""
    if event_type == LEAD_GRADE_CHANGED:
        return (
            bool(grades)
            and data.get("grade") in grades
            and data.get("previous_grade") not in grades
        )
    if event_type == LEAD_SCORED and min_score is not None:
        score, before = data.get("score"), data.get("previous_score")
        if not isinstance(score, int | float) or score < min_score:
            return False
        return not isinstance(before, int | float) or before < min_score
    return False
