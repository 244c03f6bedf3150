"""`leadrank train --label ...`: learn from the workspace's own outcomes.

Gold rows are the mature leads of the label, each looked at several ages (14, 28, 56 days...)
with only what was known then; a look after the lead's outcome does not train, so nothing
learnt comes from the future. Scoring sees leads of every age, so the model learns how a lead's
chances change as it ages, with its age as a feature; a lead's looks stay together in every
split. The event types the model saw are stored with it, so scoring builds the same columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from pydantic import ValidationError
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.features.behaviour import (
    DEFAULT_WINDOWS,
    behaviour_feature_names,
    kept_event_types,
)
from leadrank.features.frames import workspace_frames
from leadrank.features.lead_features import (
    AGE_FEATURE,
    attribute_keys,
    contact_keys,
    workspace_features,
)
from leadrank.orm.scoring import ModelVersion
from leadrank.training import registry
from leadrank.training.bundle import REPORT_FILE
from leadrank.training.fit import TrainOptions, TrainResult, fit_table
from leadrank.training.labels import LabelDefinition, gold_labels
from leadrank.training.report import write_report
from leadrank.training.table import report_html

OBSERVATION_DAYS = 14.0  # the first observation age; later ones double it
LAST_OBSERVATION = 0.75  # no observation later than this share of the label window
# Fields leadrank derives itself: their names say nothing of how they were filled.
OWN_FIELDS = (
    "seniority",
    "department",
    "email_valid",
    "email_free_mail",
    "email_disposable",
    "email_role",
    "quality_score",
    "has_phone",
)
_LABEL = re.compile(
    r"^\s*(?P<events>.+?)\s+within\s+(?P<days>\d+(?:\.\d+)?)\s*(?:d|days?)\b"
    r"(?:\s+(?:of|after)\s+(?P<anchor>.+?))?\s*$",
    re.IGNORECASE,
)
_CREATION = {"creation", "lead creation", "created", "the lead's creation", "create"}


def parse_label(text: str) -> LabelDefinition:
    """ "deal_won within 90d", "meeting_booked or deal_won within 120 days",
    "email_replied within 14d of the first email_sent"."""
    match = _LABEL.match(text)
    if not match:
        raise BadInput(
            f"cannot read the label {text!r}; write it as 'EVENT [or EVENT] within N days "
            "[of creation | of the first EVENT]'"
        )
    events = [e.strip() for e in re.split(r"\s*(?:,|\bor\b)\s*", match["events"]) if e.strip()]
    anchor_text = (match["anchor"] or "creation").strip().lower()
    days = float(match["days"])
    try:
        if anchor_text in _CREATION:
            return LabelDefinition(name=events[0], positive_events=events, within_days=days)
        touches = re.sub(r"^(the\s+)?(first\s+)?", "", anchor_text).split(" or ")
        return LabelDefinition(
            name=events[0],
            positive_events=events,
            within_days=days,
            anchor="first_touch",
            touch_events=[t.strip() for t in touches if t.strip()],
        )
    except ValidationError as exc:
        raise BadInput(f"label {text!r}: {exc.errors()[0]['msg']}") from exc


@dataclass
class WorkspaceTraining:
    """A model trained on the workspace, and the gold it came from."""

    result: TrainResult
    model: ModelVersion
    report: Path
    target: str
    leads: int
    mature: int
    positives: int
    immature: int
    early: int  # outcome before the first observation age: left out of training
    snapshots: int  # rows trained on: each mature lead at every age it was still open


def train_workspace(
    session: Session,
    *,
    label: str,
    data_dir: Path,
    name: str | None = None,
    options: TrainOptions | None = None,
    as_of: datetime | None = None,
    observation_days: float = OBSERVATION_DAYS,
) -> WorkspaceTraining:
    """Train on the mature leads of `label` and register the model (kind "workspace")."""
    definition = parse_label(label)
    now = as_of or datetime.now(UTC)
    leads, events = workspace_frames(session)
    _check_event_types(events, definition)
    gold = gold_labels(
        leads.select("lead_id", "created_at"), events, definition=definition, as_of=now
    )
    # Only leads whose window has closed train, whatever their outcome: a recent lead is known
    # early only if it converted, and taking those would teach "recent means positive".
    window = pl.duration(seconds=definition.within_days * 86_400)
    closed = (pl.col("anchor_at") + window) <= pl.lit(now, dtype=pl.Datetime("us", "UTC"))
    mature = gold.filter(pl.col("mature") & closed)
    # Each lead is looked at every observation age, whatever its outcome: cutting at the outcome
    # would tell the model when it happened. At an age after its outcome the lead was already won
    # and would not have been scored, so that look does not train.
    ages = observation_ages(definition.within_days, observation_days)
    after = pl.col("anchor_at") + pl.duration(
        microseconds=(pl.col("_age") * 86_400e6).cast(pl.Int64)
    )
    snapshots = (
        mature.join(pl.DataFrame({"_age": ages}), how="cross")
        .with_columns(after.alias("as_of"))
        .filter((pl.col("outcome_at") < pl.col("as_of")).fill_null(False).not_())
        .sort("lead_id", "as_of")
    )
    early = mature.join(snapshots, on="lead_id", how="anti")
    mature = mature.join(early, on="lead_id", how="anti")
    event_types = kept_event_types(events, exclude=definition.positive_events)
    rows = leads.join(mature.select("lead_id"), on="lead_id", how="semi")
    attributes = attribute_keys(rows)
    contact = contact_keys(rows, attributes)
    frame = workspace_features(
        rows,
        events,
        as_of=snapshots.select("lead_id", "as_of"),
        event_types=event_types,
        attributes=attributes,
        contact=contact,
        max_age_days=max(ages),
    )
    y = snapshots.get_column("label").to_numpy()
    chosen = options or TrainOptions()
    behaviour = tuple(behaviour_feature_names(event_types, DEFAULT_WINDOWS))
    # Lifetime totals grow with a lead's age, which training sees only up to its oldest look
    # and scoring sees without bound. Windowed counts, recency, frequency (per week since the
    # first event) and velocity (the last 30 days against the 30 before) are rates or windows,
    # and mean the same at any age.
    lifetime = tuple(
        name for name in behaviour if name.endswith(("_count", "_days_since_first", "_active_days"))
    )
    result = fit_table(
        frame.drop("lead_id"),
        y.astype(np.int8),
        groups=snapshots.get_column("lead_id").to_numpy(),
        target=definition.name,
        options=replace(
            chosen,
            point_in_time=chosen.point_in_time + behaviour + OWN_FIELDS + (AGE_FEATURE,),
            exclude=chosen.exclude + lifetime,
        ),
    )
    result.bundle.metadata["behaviour"] = {
        "event_types": event_types,
        "windows": list(DEFAULT_WINDOWS),
        "observation_days": ages,
        "max_age_days": max(ages),
        "attributes": attributes,
        "contact_attributes": contact,
    }
    anchors = mature.get_column("anchor_at")
    result.bundle.metadata["data_window"] = {
        "column": "lead creation"
        if definition.anchor == "created"
        else f"the first {' or '.join(definition.touch_events)}",
        "start": anchors.min().isoformat(),  # type: ignore[union-attr]
        "end": anchors.max().isoformat(),  # type: ignore[union-attr]
        "as_of": now.isoformat(timespec="seconds"),  # outcomes known up to here
    }
    described = definition.described()
    model = registry.register(
        session,
        bundle=result.bundle,
        name=name or registry.model_name(definition.name),
        kind="workspace",
        target=described,
        data_dir=data_dir,
        label=definition.model_dump(),
    )
    report = write_report(
        Path(model.path or data_dir) / REPORT_FILE, report_html(result, model, described)
    )
    return WorkspaceTraining(
        result,
        model,
        report,
        described,
        leads=leads.height,
        mature=mature.height,
        positives=int(mature.get_column("label").sum()),
        snapshots=snapshots.height,
        immature=gold.height - mature.height - early.height,
        early=early.height,
    )


def observation_ages(window_days: float, first: float = OBSERVATION_DAYS) -> list[float]:
    """The ages a lead may be looked at: `first` days (half the window when that is shorter),
    doubled while it stays within three quarters of the window; 120 days gives 14, 28, 56."""
    ages = [min(first, window_days / 2)]
    while ages[-1] * 2 <= window_days * LAST_OBSERVATION:
        ages.append(ages[-1] * 2)
    return ages


def _check_event_types(events: pl.DataFrame, definition: LabelDefinition) -> None:
    present = set(events.get_column("event_type").unique().to_list())
    wanted = definition.positive_events + (
        definition.touch_events if definition.anchor == "first_touch" else []
    )
    unknown = [e for e in wanted if e not in present]
    if unknown:
        listed = ", ".join(sorted(present)) or "none yet"
        raise BadInput(
            f"no event of type {', '.join(unknown)} in the workspace (event types: {listed})"
        )
