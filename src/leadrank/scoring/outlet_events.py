"""What a served scoring run tells the outbox: `lead.scored` for each lead it scored and
`lead.grade_changed` for each whose served grade moved (an override in force keeps the grade
served, so a computed change under it is no news). Read before the run's scores are saved,
told after; nothing is read when no one listens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from leadrank.leads.outlet_events import lead_cards, served_now, top_reasons
from leadrank.orm.scoring import SERVED_STAGES, ScoreRun
from leadrank.outbox.emit import emit, wanted
from leadrank.outbox.events import LEAD_GRADE_CHANGED, LEAD_SCORED, OutletEvent, lead_key

COLUMNS = ("lead_id", "score", "grade", "probability", "fit", "engagement", "reasons")


@dataclass(frozen=True)
class Before:
    """The leads' served scores before a run, and which events anyone wants."""

    served: dict[int, dict[str, Any]]
    scored_wanted: bool


def before_saving(session: Session, run: ScoreRun, scores: pl.DataFrame) -> Before | None:
    """What the run's news will be told against; None when no one listens (or the run is
    not served)."""
    if run.stage not in SERVED_STAGES or not wanted(session, LEAD_SCORED, LEAD_GRADE_CHANGED):
        return None
    ids = scores.get_column("lead_id").to_list()
    return Before(served_now(session, ids, with_reasons=False), wanted(session, LEAD_SCORED))


def tell(session: Session, run: ScoreRun, scores: pl.DataFrame, before: Before) -> None:
    """The run's news, in lead order; a lead's `lead.scored` comes before its grade change."""
    rows = scores.select([column for column in COLUMNS if column in scores.columns]).to_dicts()
    changed = [row for row in rows if _grade_moved(row, before.served.get(row["lead_id"]))]
    told = rows if before.scored_wanted else changed
    if not told:
        return
    cards = lead_cards(session, [row["lead_id"] for row in told])
    scored_at = (run.finished_at or run.started_at).isoformat()
    events = []
    moved = {row["lead_id"] for row in changed}
    for row in told:
        lead_id = row["lead_id"]
        earlier = before.served.get(lead_id, {})
        overridden = bool(earlier.get("overridden"))
        data = {
            **cards.get(lead_id, {"lead_id": lead_id}),
            "grade": earlier["grade"] if overridden else row["grade"],
            "computed_grade": row["grade"],
            "previous_grade": earlier.get("grade"),
            "score": row["score"],
            "previous_score": earlier.get("score"),
            "probability": row.get("probability"),
            "fit": row.get("fit"),
            "engagement": row.get("engagement"),
            "reasons": top_reasons(row.get("reasons")),
            "model_version": run.model_version,
            "scored_at": scored_at,
        }
        if before.scored_wanted:
            events.append(OutletEvent(LEAD_SCORED, data, lead_key(lead_id)))
        if lead_id in moved:
            events.append(OutletEvent(LEAD_GRADE_CHANGED, data, lead_key(lead_id)))
    emit(session, events)


def _grade_moved(row: dict[str, Any], earlier: dict[str, Any] | None) -> bool:
    if earlier is None:
        return row["grade"] is not None
    if earlier.get("overridden"):
        return False
    return bool(earlier.get("grade") != row["grade"])
