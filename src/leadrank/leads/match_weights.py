"""The workspace's own match weights: learnt from a sample of its leads, stored, and relearnt
as the workspace grows. u (how often unrelated leads agree) and the prior are the workspace's
own; m is typical, since leads merged on exact keys leave few duplicates to learn it from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadrank.kit.bulk import select_frame
from leadrank.matching.blocking import candidate_pairs, rules_for
from leadrank.matching.compare import Comparison, compare, comparisons_for
from leadrank.matching.model import MatchModel, estimate_u, with_typical_m
from leadrank.matching.prepare import prepare
from leadrank.matching.roles import RoleMap
from leadrank.orm import Lead, MatchWeights

# Role -> the lead column that holds it.
LEAD_ROLES = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone_e164",
    "company": "company_name",
    "domain": "company_domain",
    "city": "city",
    "country": "country_code",
}
ROLE_MAP = RoleMap({role: [column] for role, column in LEAD_ROLES.items()})
TRAIN_SAMPLE = 100_000  # leads sampled to learn weights from
RETRAIN_GROWTH = 2.0  # relearn once the workspace has this many times the leads it learnt on


def match_frame(session: Session, ids: list[int]) -> pl.DataFrame:
    """The leads' id, match block, company and the columns matching compares."""
    return select_frame(
        session, Lead, ids, ["id", "match_block", "company_id", *LEAD_ROLES.values()]
    )


def encode(model: MatchModel) -> dict[str, Any]:
    """The model as JSON-ready parameters."""
    return {
        "prior": model.prior,
        "comparisons": [
            {
                "field": c.field,
                "kind": c.kind,
                "labels": list(c.labels),
                "m": m.tolist(),
                "u": u.tolist(),
            }
            for c, m, u in zip(model.comparisons, model.m, model.u, strict=True)
        ],
    }


def decode(parameters: dict[str, Any]) -> MatchModel:
    """A model from stored parameters."""
    listed = parameters["comparisons"]
    return MatchModel(
        comparisons=[Comparison(c["field"], c["kind"], tuple(c["labels"])) for c in listed],
        m=[np.asarray(c["m"], dtype=np.float64) for c in listed],
        u=[np.asarray(c["u"], dtype=np.float64) for c in listed],
        prior=float(parameters["prior"]),
    )


def workspace_model(session: Session, *, now: datetime) -> MatchModel | None:
    """The stored weights, relearnt first when there are none yet or the workspace has grown
    RETRAIN_GROWTH-fold; None while the workspace has too few leads to learn from."""
    count = int(session.scalar(select(func.count(Lead.id))) or 0)
    latest = session.scalar(
        select(MatchWeights).where(MatchWeights.entity == "person").order_by(MatchWeights.id.desc())
    )
    if latest is not None and count <= RETRAIN_GROWTH * latest.lead_count:
        return decode(latest.parameters)
    model = learn_weights(session, lead_count=count)
    if model is None:
        return decode(latest.parameters) if latest is not None else None
    session.add(
        MatchWeights(entity="person", trained_at=now, lead_count=count, parameters=encode(model))
    )
    session.flush()
    return model


MIN_LEADS = 50


def learn_weights(session: Session, *, lead_count: int) -> MatchModel | None:
    """Fellegi-Sunter weights from a sample of the workspace's leads, spread evenly over
    their order of arrival. The same leads give the same weights: a random sample made
    identity resolution (which leads merge) differ from one run to the next."""
    if lead_count < MIN_LEADS:
        return None
    ids = list(session.scalars(select(Lead.id).order_by(Lead.id)))
    if len(ids) > TRAIN_SAMPLE:
        step = len(ids) / TRAIN_SAMPLE
        ids = [ids[int(i * step)] for i in range(TRAIN_SAMPLE)]
    frame = match_frame(session, ids)
    prepared = prepare(frame, ROLE_MAP)
    blocking = candidate_pairs(prepared, rules_for("person", prepared.columns))
    comparisons = comparisons_for(prepared.columns)
    levels = compare(prepared, blocking.pairs, comparisons)
    # Leads are already merged on exact keys, so few duplicates remain to learn m from:
    # m is the typical one, u and the prior are this workspace's own.
    return with_typical_m(
        comparisons,
        estimate_u(prepared, comparisons),
        levels,
        possible_pairs=frame.height * (frame.height - 1) // 2,
    )
