"""Rescoring what changed: after data arrives, score the leads it touched, not the workspace.

Arrivals mark the leads they touch (`pending`) and queue one rescore; while it waits, later
arrivals find it queued and only add their marks. When it runs, it first lets a burst settle
(no new mark for `quiet` seconds, at most a few such periods), then takes every mark and
scores those leads, and the leads never scored yet, in one run. The workspace is scored
whole instead when the last whole run does not hold: none yet, the model, profile, blend or
grade scale changed since (scores of two meanings cannot share one list), or it is a day old
(engagement decays with time, and without the workers' hourly schedule nothing else would
catch it up); and when the changes touched most leads anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from leadrank.db.engine import session_scope
from leadrank.grades import Blend, GradeScale
from leadrank.scoring.icp import Profile
from leadrank.scoring.pending import newest_mark, take_marked
from leadrank.scoring.repository import (
    count_leads,
    latest_whole_run,
    lock_scoring,
    unscored_leads,
)
from leadrank.scoring.score_run import RunSummary, score_workspace, scoring_basis
from leadrank.training import registry

WHOLE_RUN_EVERY = timedelta(days=1)
QUIET_PERIODS_AT_MOST = 5  # a steady stream of arrivals is still scored this often


@dataclass
class Rescore:
    """What one rescore of what changed did."""

    scope: str  # changed | all
    reason: str | None = None  # why the workspace was scored whole
    runs: list[RunSummary] = field(default_factory=list)


def settle(engine: Engine, *, quiet: float, sleep: Callable[[float], None] = time.sleep) -> float:
    """Wait until no lead was marked for `quiet` seconds, or for QUIET_PERIODS_AT_MOST of
    them in all; the seconds waited. Reads only: arrivals write meanwhile."""
    if quiet <= 0:
        return 0.0
    started = time.monotonic()
    deadline = started + quiet * QUIET_PERIODS_AT_MOST
    while True:
        with session_scope(engine) as session:
            newest = newest_mark(session)
        if newest is None:
            break
        settled = newest + timedelta(seconds=quiet) - datetime.now(UTC)
        wait = min(settled.total_seconds(), deadline - time.monotonic())
        if wait <= 0:
            break
        sleep(wait)
    return time.monotonic() - started


def rescore_changed(
    session: Session,
    *,
    profile: Profile,
    blend: Blend,
    grades: GradeScale,
    lake_dir: Path | None = None,
    as_of: datetime | None = None,
) -> Rescore:
    """Score the marked and the never-scored leads, or the whole workspace when the last
    whole run does not hold (see the module); flushes only."""
    lock_scoring(session)  # before the marks are taken: a run under way stores first
    marked = take_marked(session)
    now = as_of or datetime.now(UTC)
    active = registry.active_model(session, kind="workspace")
    basis = scoring_basis(active, profile, profile.engagement, blend, grades)
    reason = _whole_run_reason(session, basis, now)
    chosen = None if reason else sorted(set(marked) | set(unscored_leads(session)))
    if chosen == []:
        return Rescore("changed")
    if chosen is not None and len(chosen) * 2 > count_leads(session):
        # Storing most leads costs what storing all of them does, and brings the rest up to date.
        reason, chosen = "the changes touched most leads", None
    runs = score_workspace(
        session,
        as_of=now,
        profile=profile,
        blend=blend,
        grades=grades,
        lake_dir=lake_dir,
        lead_ids=chosen,
    )
    return Rescore("all" if reason else "changed", reason, runs)


def _whole_run_reason(session: Session, basis: str, now: datetime) -> str | None:
    """Why the workspace must be scored whole; None when the changed leads will do."""
    whole = latest_whole_run(session)
    if whole is None:
        return "no run over every lead yet"
    if whole.basis != basis:
        return "the model, profile, blend or grades changed since the last run over every lead"
    if now - whole.as_of > WHOLE_RUN_EVERY:
        return "the last run over every lead is more than a day old"
    return None
