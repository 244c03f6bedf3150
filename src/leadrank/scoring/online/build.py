"""The scorer one `leadrank serve` process answers with: built at its start, and built again
when what should be served changes (a model trained, promoted or rolled back; the active ICP
profile, when the rules serve)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.scoring.icp_store import active_profile, scoring_profile
from leadrank.scoring.online.call import Scorer
from leadrank.scoring.online.model_scorer import ApiScorer
from leadrank.scoring.online.rules_scorer import RulesScorer
from leadrank.scoring.online.served_model import ApiModel, load_api_model
from leadrank.scoring.online.split import SplitScorer, split_scorer
from leadrank.training import registry

# What should be served: ("model", version id), ("demo", None) or ("rules", profile id).
Served = tuple[str, int | None]


@dataclass(frozen=True)
class OnlineScoring:
    """What the scoring API serves: the model (None: the ICP rules), its scorer, and what it
    was built from."""

    model: ApiModel | None
    scorer: Scorer
    served: Served

    def close(self) -> None:
        """Stop what the scorer started (a split scorer's helper process)."""
        if isinstance(self.scorer, SplitScorer):
            self.scorer.close()


def build_online_scoring(engine: Engine, settings: Settings) -> OnlineScoring:
    """The active model of `settings.api_model` (else the demo model) with its scorer, or the
    active ICP profile's rules when no model serves. Reads in a transaction of its own, closed
    before a split scorer's helper starts."""
    with session_scope(engine) as session:
        served = what_to_serve(session, settings)
        model = load_api_model(session, settings)
        rules = (
            RulesScorer(
                scoring_profile(session),
                blend=settings.score_blend,
                grades=settings.grade_thresholds,
            )
            if model is None
            else None
        )
    if rules is not None:
        return OnlineScoring(None, rules, served)
    assert model is not None
    return OnlineScoring(model, split_scorer(ApiScorer(model)), served)


def what_to_serve(session: Session, settings: Settings) -> Served:
    """What the API should serve now, in two cheap reads (no model is loaded)."""
    model_id = registry.active_version_id(session, name=settings.api_model)
    if model_id is not None:
        return ("model", model_id)
    if settings.api_demo_model:
        return ("demo", None)
    profile = active_profile(session)
    return ("rules", profile.id if profile is not None else None)
