"""The events leadrank tells its webhook endpoints about, and the shape of one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LEAD_CREATED = "lead.created"
LEAD_SCORED = "lead.scored"
LEAD_GRADE_CHANGED = "lead.grade_changed"
LEAD_MERGED = "lead.merged"
LEAD_OWNER_CHANGED = "lead.owner_changed"
MODEL_PROMOTED = "model.promoted"
IMPORT_FINISHED = "import.finished"
EVENT_TYPES = (
    LEAD_CREATED,
    LEAD_SCORED,
    LEAD_GRADE_CHANGED,
    LEAD_MERGED,
    LEAD_OWNER_CHANGED,
    MODEL_PROMOTED,
    IMPORT_FINISHED,
)
# What an alert rule listens to: a lead entering a grade, or its score crossing a line.
ALERT_EVENT_TYPES = (LEAD_GRADE_CHANGED, LEAD_SCORED)


@dataclass(frozen=True)
class OutletEvent:
    """Something that happened, as a webhook's `data`. `key` names what its order is kept
    for (a lead's events reach each endpoint in the order they happened)."""

    type: str
    data: dict[str, Any]
    key: str | None = None


def lead_key(lead_id: int) -> str:
    """The ordering key of one lead's events."""
    return f"lead:{lead_id}"
